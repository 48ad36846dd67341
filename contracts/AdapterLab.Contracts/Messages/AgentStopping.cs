namespace AdapterLab.Contracts.Messages;

/// <summary>Agent → orchestrator on a clean shutdown: no more work for it.</summary>
public sealed record AgentStopping : IAgentReport
{
    public string AgentId { get; init; } = "";
    /// <summary>
    /// When the agent stopped announcing (its clock, as <see cref="AgentAnnounced.SentAt"/>): an announcement sent before
    /// it — one still in flight, or redelivered — does not revive the agent; one sent after it (a restart under the same
    /// identity) does. Unset (an older agent): the time the orchestrator stores it.
    /// </summary>
    public DateTimeOffset SentAt { get; init; }
}
