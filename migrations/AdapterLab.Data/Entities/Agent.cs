namespace AdapterLab.Data.Entities;

/// <summary>A worker as last announced: pool, device, capacity, liveness, quarantine.</summary>
public sealed class Agent
{
    public string Id { get; set; } = "";
    public string Pool { get; set; } = "cpu";
    public string Device { get; set; } = "cpu";
    public string Host { get; set; } = "";
    public string QueueName { get; set; } = "";
    public int Slots { get; set; }
    /// <summary>Free slots as the agent last reported them (the orchestrator also counts its own leases).</summary>
    public int ReportedFreeSlots { get; set; }
    public string Version { get; set; } = "";
    public DateTimeOffset FirstSeenAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }
    public bool Stopped { get; set; }
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
}
