namespace AdapterLab.Data.Entities;

/// <summary>A worker as last announced: pool, device, capacity, liveness, quarantine.</summary>
public sealed class Agent
{
    public string Id { get; set; } = "";
    public string Pool { get; set; } = "cpu";
    public string Device { get; set; } = "cpu";
    /// <summary>The device as the agent describes it (GPU name and count, or CPU model and cores).</summary>
    public string DeviceName { get; set; } = "";
    public long DeviceMemoryBytes { get; set; }
    public string Host { get; set; } = "";
    public string QueueName { get; set; } = "";
    public int Slots { get; set; }
    /// <summary>Free slots as the agent last reported them (the orchestrator also counts its own leases).</summary>
    public int ReportedFreeSlots { get; set; }
    public string Version { get; set; } = "";
    public DateTimeOffset FirstSeenAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }
    public bool Stopped { get; set; }
    /// <summary>
    /// The time on its last stop notice (the agent's clock): announcements sent before it leave the agent stopped, whatever
    /// order they arrive in; one sent after it is a restart under the same identity.
    /// </summary>
    public DateTimeOffset? StoppedAt { get; set; }
    public int ConsecutiveFailures { get; set; }
    public bool Quarantined { get; set; }
    public string? QuarantineReason { get; set; }
}

/// <summary>Credential an agent uses for the web API's agent endpoints; only its hash is stored.</summary>
public sealed class AgentToken
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    public string Prefix { get; set; } = "";
    public string Hash { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    /// <summary>The token stops working at this time (null: never; rotation issues a new token before it comes).</summary>
    public DateTimeOffset? ExpiresAt { get; set; }
    /// <summary>When the token last authenticated a request (updated at most once a minute).</summary>
    public DateTimeOffset? LastUsedAt { get; set; }
    /// <summary>The only pool the agent may announce itself in (tokens from a pool's enrolment); null: any pool.</summary>
    public string? Pool { get; set; }
    /// <summary>The enrolment that issued the token, if an agent enrolled itself.</summary>
    public Guid? EnrolmentId { get; set; }
}

/// <summary>
/// A pool-scoped enrolment secret: a new agent (e.g. a pod an autoscaler just added) presents it once to obtain its own id
/// and agent token. Only its hash is stored; revoking it stops further enrolments (tokens already issued are revoked on
/// their own, or with it).
/// </summary>
public sealed class AgentEnrolment
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    /// <summary>The pool every agent enrolled with it belongs to.</summary>
    public string Pool { get; set; } = "";
    public string Prefix { get; set; } = "";
    public string Hash { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    /// <summary>At most this many agents may enrol with it (null: no limit).</summary>
    public int? MaxAgents { get; set; }
    /// <summary>Agents enrolled so far.</summary>
    public int Enrolled { get; set; }
    /// <summary>Lifetime in days of the tokens it issues (null: they do not expire).</summary>
    public int? TokenDays { get; set; }
}
