namespace AdapterLab.Contracts.Messages;

/// <summary>
/// Agent → orchestrator: preparation is done (weights fetched, model built, checkpoint loaded) and training begins;
/// carries the complete provenance and the parameter counts. Follows <see cref="AttemptStarted"/>, but may overtake it:
/// an attempt still Dispatched when this arrives is Running from then on.
/// </summary>
public sealed record AttemptPrepared : IAttemptReport, IAgentReport
{
    public Guid ExperimentId { get; init; }
    public int AttemptNumber { get; init; }
    public string AgentId { get; init; } = "";
    public Provenance Provenance { get; init; } = new();
    public long TrainableParameters { get; init; }
    public long TotalParameters { get; init; }
    public long TotalSteps { get; init; }
    public long StartStep { get; init; }
    /// <summary>When the agent accepted the attempt (as in its AttemptStarted).</summary>
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset PreparedAt { get; init; }
}
