using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Data.Security;
using AdapterLab.Messaging;
using Microsoft.Extensions.Options;

namespace AdapterLab.Orchestrator.Lifecycle;

/// <summary>
/// The agent boundary on the receiving side: a message is accepted only from the broker identity (the RabbitMQ-validated
/// <c>user_id</c>, <see cref="SenderIdentity"/>) allowed to send it — an attempt report only from the agent that holds the
/// attempt, an agent's announcement or stop only from that agent (and only for its own queue and a pool its token allows),
/// a user's intent only from the web; an agent's reports only while it has a live agent token (its broker credential).
/// A refusal is logged and recorded in <c>refused_messages</c> with its sender. One policy for both receive paths: the
/// bus's consume filter (<see cref="SenderCheckFilter{T}"/>) and the fleet's own consumer
/// (<see cref="AdapterLab.Orchestrator.Fleet.FleetIngest"/>).
/// </summary>
public sealed class SenderPolicy(AttemptHolders holders, AgentStandings standings, IOptions<OrchestratorOptions> options,
    RabbitMqOptions rabbit, TimeProvider clock, ILogger<SenderPolicy> log)
{
    /// <summary>Why <paramref name="message"/> from <paramref name="sender"/> may not be applied, or null when it may (messages of other kinds — the bus's own faults — pass).</summary>
    public async Task<string?> RefusalAsync(PlatformDbContext db, string? sender, object message, CancellationToken ct)
    {
        if (message is not (IAttemptReport or IAgentReport or IUserIntent)) return null;
        if (sender is null) return "no broker-validated sender (user_id)";
        if (message is IUserIntent)
            return options.Value.WebBrokerUsers.Contains(sender) ? null : $"only the web may send {message.GetType().Name}";

        var agent = SenderIdentity.AgentIdOf(sender);
        if (agent is null) return "not an agent's broker identity";
        if (message is IAgentReport named && named.AgentId != agent) return $"names agent '{named.AgentId}', sent by agent '{agent}'";
        if (message is AgentAnnounced announced && announced.QueueName != QueueNames.Agent(rabbit.QueuePrefix, agent))
            return $"announces queue '{announced.QueueName}', not its own";
        // Its token is its broker credential: once revoked or expired, nothing it still sends on an open connection counts.
        var standing = await standings.GetAsync(db, agent, ct);
        if (!standing.Live) return $"agent '{agent}' has no live agent token (revoked or expired)";
        if (message is AgentAnnounced joining && !standing.MayJoin(joining.Pool))
            return $"agent '{agent}' may not join pool '{joining.Pool}' (its token allows {string.Join(", ", standing.Pools ?? [])})";
        if (message is IAttemptReport report)
        {
            var holder = await holders.GetAsync(db, report.ExperimentId, report.AttemptNumber, ct);
            if (holder is null) return $"experiment {report.ExperimentId} has no attempt {report.AttemptNumber}";
            if (holder != agent) return $"attempt {report.AttemptNumber} of experiment {report.ExperimentId} is held by another agent";
        }
        return null;
    }

    /// <summary>Logs and records a refused message (<see cref="RefusedMessageLog"/>).</summary>
    public async Task RecordAsync(PlatformDbContext db, string? sender, object message, string? messageId, string reason, CancellationToken ct)
    {
        var attempt = message as IAttemptReport;
        var claimed = (message as IAgentReport)?.AgentId;
        var experiment = attempt?.ExperimentId ?? (message as IUserIntent)?.ExperimentId;
        log.LogWarning("Refused {MessageType} from {Sender} (claims agent {ClaimedAgent}, experiment {ExperimentId} attempt {AttemptNumber}): {Reason}",
            message.GetType().Name, sender ?? "(none)", claimed, experiment, attempt?.AttemptNumber, reason);
        await RefusedMessageLog.RecordAsync(db, new RefusedMessage
        {
            MessageId = messageId ?? Guid.NewGuid().ToString(), At = clock.GetUtcNow(), MessageType = message.GetType().Name,
            Sender = sender ?? "(none)", ClaimedAgentId = claimed, ExperimentId = experiment, AttemptNumber = attempt?.AttemptNumber, Reason = reason,
        }, ct);
    }
}
