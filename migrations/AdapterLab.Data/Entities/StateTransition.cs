namespace AdapterLab.Data.Entities;

/// <summary>Audit log: every lifecycle transition with its actor (user, api key, agent, reaper, orchestrator).</summary>
public sealed class StateTransition
{
    public long Id { get; set; }
    public Guid ExperimentId { get; set; }
    public int AttemptNumber { get; set; }
    public string From { get; set; } = "";
    public string To { get; set; } = "";
    public string Actor { get; set; } = "";
    public string? Reason { get; set; }
    public DateTimeOffset At { get; set; }
}
