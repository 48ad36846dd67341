namespace AdapterLab.Orchestrator;

/// <summary>Lifecycle timings and limits (section <c>Orchestrator</c>).</summary>
public sealed class OrchestratorOptions
{
    public const string Section = "Orchestrator";

    /// <summary>How often agents heartbeat; agents read the same value from the RunExperiment message.</summary>
    public double HeartbeatSeconds { get; set; } = 3;

    /// <summary>A lease lasts this many heartbeats (at least three, so one or two lost heartbeats never kill a run).</summary>
    public int LeaseHeartbeats { get; set; } = 4;

    /// <summary>An agent not heard from for this many heartbeats gets no new work.</summary>
    public int AgentStaleHeartbeats { get; set; } = 4;

    /// <summary>Dispatch pass at least this often even without a signal (the reconciler for lost messages).</summary>
    public double DispatchIntervalSeconds { get; set; } = 2;

    /// <summary>Reaper pass interval.</summary>
    public double ReaperIntervalSeconds { get; set; } = 1;

    /// <summary>An agent that fails this many runs in a row is quarantined until an admin lifts it.</summary>
    public int QuarantineAfterFailures { get; set; } = 5;

    /// <summary>How often unreferenced blobs are reclaimed.</summary>
    public double BlobGcIntervalMinutes { get; set; } = 10;

    /// <summary>A blob younger than this is never reclaimed (its reference may still be on the way).</summary>
    public double BlobGcGraceMinutes { get; set; } = 60;

    /// <summary>Progress reports consumed at once on the progress queue: the most the metric point writer can group into
    /// one statement (bench perf-ingest). The broker prefetches twice as many.</summary>
    public int ProgressConcurrency { get; set; } = 64;

    /// <summary>The most announcements and heartbeats the fleet queue's consumer takes in one round (one write, one acknowledgement).</summary>
    public int FleetPrefetch { get; set; } = 1000;

    /// <summary>
    /// How often the fleet queue's consumer reads it (<c>Fleet/FleetIngest.cs</c>): it takes whatever has arrived since,
    /// stores it in one write and acknowledges it at once. A thousand agents announce every 5 s, evenly spread; read as they
    /// arrive, each would cost the orchestrator a wake-up and thread hand-offs (bench perf-fleet's profile), so reading
    /// them in rounds costs a fraction of the CPU. A lease lasts several heartbeats, and the dispatcher counts an agent's
    /// free slots from its own records, so half a second before a heartbeat is stored or a new agent is seen costs nothing
    /// a user sees.
    /// </summary>
    public TimeSpan FleetReadInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Broker users whose messages carry users' intent (submit, cancel, retry): the web's. Any other sender of such a
    /// message is refused (<c>SenderCheckFilter</c>); the web checked the user's role and ownership before sending.
    /// </summary>
    public List<string> WebBrokerUsers { get; set; } = ["adapterlab-web"];

    public TimeSpan Heartbeat => TimeSpan.FromSeconds(HeartbeatSeconds);

    /// <summary>A dispatched attempt gets twice the lease to be picked up and heartbeat for the first time (its agent
    /// may be busy starting up, or the message may wait behind a broker reconnect).</summary>
    public TimeSpan DispatchLease => Lease * 2;
    public TimeSpan Lease => TimeSpan.FromSeconds(HeartbeatSeconds * Math.Max(3, LeaseHeartbeats));
    public TimeSpan AgentStaleAfter => TimeSpan.FromSeconds(HeartbeatSeconds * Math.Max(2, AgentStaleHeartbeats));
}
