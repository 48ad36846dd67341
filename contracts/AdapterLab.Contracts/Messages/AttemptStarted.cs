namespace AdapterLab.Contracts.Messages;

/// <summary>
/// Agent → orchestrator: the agent accepted the attempt and holds its slot (Dispatched → Running). Sent before any
/// preparation (weights download, model build, data), with <see cref="Preparing"/> set: the facts only preparation
/// knows (parameter counts, device, start step) follow in <see cref="AttemptPrepared"/>. An agent that sends it after
/// preparation leaves <see cref="Preparing"/> false and fills those facts here.
/// </summary>
public sealed record AttemptStarted
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

/// <summary>
/// Agent → orchestrator: preparation is done (weights fetched, model built, checkpoint loaded) and training begins;
/// carries the complete provenance and the parameter counts. Follows <see cref="AttemptStarted"/>, but may overtake it:
/// an attempt still Dispatched when this arrives is Running from then on.
/// </summary>
public sealed record AttemptPrepared
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

/// <summary>Where and with what an attempt ran.</summary>
public sealed record Provenance
{
    public string SpecHash { get; init; } = "";
    public string? BackboneHash { get; init; }
    public string DataGeneratorVersion { get; init; } = "";
    public string GitCommit { get; init; } = "";
    public IReadOnlyDictionary<string, string> Packages { get; init; } = new Dictionary<string, string>();
    public string Device { get; init; } = "";
    public int Seed { get; init; }
    public string Host { get; init; } = "";
}
