namespace AdapterLab.Contracts.Messages;

/// <summary>Agent → orchestrator: a checkpoint blob was uploaded (already stored and verified by the web API).</summary>
public sealed record CheckpointSaved : IAttemptReport
{
    public Guid ExperimentId { get; init; }
    public int AttemptNumber { get; init; }
    public long Step { get; init; }
    public string BlobHash { get; init; } = "";
    public long SizeBytes { get; init; }
    /// <summary><c>resume</c> (trainable state + optimizer) or <c>final</c>.</summary>
    public string Kind { get; init; } = "resume";
}
