namespace AdapterLab.Data.Entities;

/// <summary>A named backbone: produced by a pretrain or imported from safetensors. Pending until its weights exist.</summary>
public sealed class Backbone
{
    public string Name { get; set; } = "";

    /// <summary>The project that owns it; others read it only through a <see cref="BackboneShare"/>.</summary>
    public Guid ProjectId { get; set; } = Project.DefaultId;
    public string Preset { get; set; } = "";
    /// <summary>Weights blob (backbone-only safetensors); null while the producing pretrain is still running.</summary>
    public string? BlobHash { get; set; }
    public Guid? SourceExperimentId { get; set; }
    /// <summary><c>pretrain</c> or <c>import</c>.</summary>
    public string Origin { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ReadyAt { get; set; }
}
