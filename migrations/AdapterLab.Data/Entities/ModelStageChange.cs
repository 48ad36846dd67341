namespace AdapterLab.Data.Entities;

/// <summary>Audit of a model version's stage: every registration and every move, with its actor and time.</summary>
public sealed class ModelStageChange
{
    public long Id { get; set; }
    public string ModelName { get; set; } = "";
    public int Version { get; set; }
    /// <summary>Null for the registration itself.</summary>
    public string? FromStage { get; set; }
    public string ToStage { get; set; } = "";
    /// <summary>Why, as the actor gave it, or what caused it ("replaced in production by version 3").</summary>
    public string? Comment { get; set; }
    public string Actor { get; set; } = "";
    public DateTimeOffset At { get; set; }
}
