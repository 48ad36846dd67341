namespace AdapterLab.Contracts.Messages;

/// <summary>Agent → orchestrator on a clean shutdown: no more work for it.</summary>
public sealed record AgentStopping : IAgentReport
{
    public string AgentId { get; init; } = "";
}
