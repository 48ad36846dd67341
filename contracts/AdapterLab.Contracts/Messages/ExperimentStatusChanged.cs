namespace AdapterLab.Contracts.Messages;

/// <summary>Orchestrator → anyone (web dashboards): an experiment's status or progress changed.</summary>
public sealed record ExperimentStatusChanged
{
    public Guid ExperimentId { get; init; }
    public string Status { get; init; } = "";
    public long Step { get; init; }
    public long TotalSteps { get; init; }
    public string? Detail { get; init; }
}
