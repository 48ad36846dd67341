namespace AdapterLab.Data.Entities;

/// <summary>
/// The security audit of the agent boundary: a message the orchestrator refused because its broker-validated sender may
/// not affect what it names (another agent's attempt, another agent's id, a user's intent not relayed by the web), or
/// an agent request the web refused (a blob outside the agent's leases). Written once per message id; never retried.
/// </summary>
public sealed class RefusedMessage
{
    public long Id { get; set; }
    /// <summary>The message's id (or the request's trace id), unique: a redelivery adds nothing.</summary>
    public string MessageId { get; set; } = "";
    public DateTimeOffset At { get; set; }
    public string MessageType { get; set; } = "";
    /// <summary>The broker-validated sender (AMQP user_id) or the authenticated agent token; "(none)" when it carried none.</summary>
    public string Sender { get; set; } = "";
    /// <summary>The agent the message claimed to come from, if it named one.</summary>
    public string? ClaimedAgentId { get; set; }
    public Guid? ExperimentId { get; set; }
    public int? AttemptNumber { get; set; }
    public string Reason { get; set; } = "";
}
