namespace AdapterLab.Contracts.Messages;

/// <summary>
/// A report about one attempt, sent by the agent that holds it. The orchestrator accepts it only from that agent's
/// broker identity (the RabbitMQ-validated <c>user_id</c>), whatever the message itself claims.
/// </summary>
public interface IAttemptReport
{
    Guid ExperimentId { get; }
    int AttemptNumber { get; }
}

/// <summary>A message that names the agent it comes from; accepted only from that agent's broker identity.</summary>
public interface IAgentReport
{
    string AgentId { get; }
}

/// <summary>A user's intent (submit, cancel, retry), relayed by the web after its own checks; accepted only from the web's broker identity.</summary>
public interface IUserIntent
{
    Guid ExperimentId { get; }
}
