namespace AdapterLab.Contracts.Messages;

/// <summary>Agent → orchestrator, at start and every heartbeat interval: who it is and how many slots are free.</summary>
public sealed record AgentAnnounced : IAgentReport
{
    public string AgentId { get; init; } = "";
    public string Pool { get; init; } = "cpu";
    public string Device { get; init; } = "cpu";
    /// <summary>What it trains on: the GPU's name (and count) or the CPU model and cores.</summary>
    public string DeviceName { get; init; } = "";
    /// <summary>The device's memory (a GPU's total; on the CPU, what the process may use); 0 when unknown.</summary>
    public long DeviceMemoryBytes { get; init; }
    public string Host { get; init; } = "";
    public int Slots { get; init; }
    public int FreeSlots { get; init; }
    /// <summary>The agent's own queue; <see cref="RunExperiment"/> and <see cref="CancelAttempt"/> go there.</summary>
    public string QueueName { get; init; } = "";
    /// <summary>
    /// Attempts the agent is running now (experiment id, attempt number, step). The announcement is their heartbeat: their
    /// leases are extended — only those this agent holds — as by an <see cref="AttemptHeartbeat"/> each.
    /// </summary>
    public IReadOnlyList<RunningAttempt> Running { get; init; } = [];
    public string Version { get; init; } = "";
    public DateTimeOffset SentAt { get; init; }
}

/// <summary>An attempt an agent reports as running.</summary>
public sealed record RunningAttempt(Guid ExperimentId, int AttemptNumber, long Step);
