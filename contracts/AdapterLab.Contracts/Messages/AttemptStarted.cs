namespace AdapterLab.Contracts.Messages;

/// <summary>
/// Agent → orchestrator: the agent accepted the attempt and holds its slot (Dispatched → Running). Sent before any
/// preparation (weights download, model build, data), with <see cref="Preparing"/> set: the facts only preparation
/// knows (parameter counts, device, start step) follow in <see cref="AttemptPrepared"/>. An agent that sends it after
/// preparation leaves <see cref="Preparing"/> false and fills those facts here.
/// </summary>
public sealed record AttemptStarted : IAttemptReport, IAgentReport
{
    public Guid ExperimentId { get; init; }
    public int AttemptNumber { get; init; }
    public string AgentId { get; init; } = "";
    public Provenance Provenance { get; init; } = new();
    public long TrainableParameters { get; init; }
    public long TotalParameters { get; init; }
    public long TotalSteps { get; init; }
    public long StartStep { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    /// <summary>True when sent on acceptance: parameter counts, total and start step and the device are not known yet
    /// (ignore them; <see cref="AttemptPrepared"/> brings them).</summary>
    public bool Preparing { get; init; }
}
