namespace AdapterLab.Contracts.Messages;

/// <summary>Agent → orchestrator: the attempt stopped on request after saving a checkpoint.</summary>
public sealed record AttemptCancelled : IAttemptReport
{
    public Guid ExperimentId { get; init; }
    public int AttemptNumber { get; init; }
    public long Step { get; init; }
    public string? ResumeBlob { get; init; }
}
