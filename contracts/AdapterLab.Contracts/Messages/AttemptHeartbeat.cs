namespace AdapterLab.Contracts.Messages;

/// <summary>Agent → orchestrator every few seconds per running attempt; extends the lease.</summary>
public sealed record AttemptHeartbeat : IAttemptReport, IAgentReport
{
    public Guid ExperimentId { get; init; }
    public int AttemptNumber { get; init; }
    public string AgentId { get; init; } = "";
    public long Step { get; init; }
    public DateTimeOffset SentAt { get; init; }
}
