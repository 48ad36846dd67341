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
    /// <summary>
    /// The agent gave the attempt back on a graceful shutdown (drain): not a failure of the run or of the agent, so it
    /// counts against neither <c>retry.maxAttempts</c> nor the agent's failure streak; the next attempt resumes from
    /// <see cref="ResumeBlob"/> (the checkpoint saved on the way out) wherever it is dispatched.
    /// </summary>
    public bool HandedBack { get; init; }
    /// <summary>The resume checkpoint saved when the attempt stopped (also reported by CheckpointSaved; recorded here too
    /// so the requeued experiment cannot be dispatched before the checkpoint is known).</summary>
    public string? ResumeBlob { get; init; }
}
