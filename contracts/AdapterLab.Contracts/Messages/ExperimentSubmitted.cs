namespace AdapterLab.Contracts.Messages;

/// <summary>Web → orchestrator: an experiment was stored as Queued (relayed from the outbox; may arrive twice).</summary>
public sealed record ExperimentSubmitted : IUserIntent
{
    public Guid ExperimentId { get; init; }
    public DateTimeOffset SubmittedAt { get; init; }
}
