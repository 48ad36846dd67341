namespace AdapterLab.Contracts.Messages;

/// <summary>Orchestrator → agent: stop this attempt at the next step boundary, checkpoint, report Cancelled.</summary>
public sealed record CancelAttempt
{
    public Guid ExperimentId { get; init; }
    public int AttemptNumber { get; init; }
}
