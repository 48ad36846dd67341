namespace AdapterLab.Contracts.Messages;

/// <summary>Agent → orchestrator: the attempt ended in failure.</summary>
public sealed record AttemptFailed : IAttemptReport
{
    public Guid ExperimentId { get; init; }
    public int AttemptNumber { get; init; }
    public string Reason { get; init; } = "";
    public long LastStep { get; init; }
    /// <summary>True when the training itself failed (exception, NaN, divergence); false for infrastructure trouble.</summary>
    public bool TrainingFailure { get; init; } = true;
    public DateTimeOffset FailedAt { get; init; }
    /// <summary>A stored blob this attempt found corrupted (its bytes do not hash to its name): never to be used again.</summary>
    public string? CorruptBlob { get; init; }
}
