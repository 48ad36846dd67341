namespace AdapterLab.Messaging;

/// <summary>Queue names, in one place.</summary>
public static class QueueNames
{
    /// <summary>The orchestrator's inbox: agents' reports and web's requests.</summary>
    public static string Orchestrator(string prefix) => prefix + "adapterlab-orchestrator";

    /// <summary>The orchestrator's progress inbox (AttemptProgressed): high volume, kept apart from lifecycle messages.</summary>
    public static string OrchestratorProgress(string prefix) => prefix + "adapterlab-orchestrator-progress";

    /// <summary>The orchestrator's fleet inbox (AgentAnnounced, AgentStopping, AttemptHeartbeat): one message per agent and per
    /// attempt every few seconds, kept apart so that a large fleet's chatter never queues ahead of a start or a result.</summary>
    public static string OrchestratorFleet(string prefix) => prefix + "adapterlab-orchestrator-fleet";

    /// <summary>One agent's own queue: RunExperiment and CancelAttempt for it alone.</summary>
    public static string Agent(string prefix, string agentId) => prefix + "adapterlab-agent-" + agentId;

    /// <summary>
    /// Where the orchestrator sends to an agent: the exchange its queue is bound to, not the queue itself, so the sender
    /// never declares the agent's queue (the agent does, as a quorum queue on clusters; a sender's declaration without
    /// the same arguments would be refused as inequivalent).
    /// </summary>
    public static Uri AgentAddress(string agentQueue) => new($"exchange:{agentQueue}");
}
