namespace AdapterLab.Contracts.Messages;

/// <summary>
/// Agent → orchestrator: a sweep trial reached its rung (<see cref="RunExperiment.PauseAtStep"/>), evaluated on the
/// validation split and saved the checkpoint a promotion resumes from. The attempt is over; the experiment waits Paused.
/// </summary>
public sealed record AttemptPaused : IAttemptReport
{
    public Guid ExperimentId { get; init; }
    public int AttemptNumber { get; init; }
    public long Step { get; init; }
    /// <summary>The resume checkpoint at <see cref="Step"/> (already uploaded and verified).</summary>
    public string ResumeBlob { get; init; } = "";
    /// <summary>Validation metrics at the rung (the test split is not read before the search is over).</summary>
    public IReadOnlyList<FinalResult> Results { get; init; } = [];
    public DateTimeOffset PausedAt { get; init; }
}
