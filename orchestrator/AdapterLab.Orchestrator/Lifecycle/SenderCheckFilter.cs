using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Data.Security;
using AdapterLab.Messaging;
using MassTransit;
using Microsoft.Extensions.Options;

namespace AdapterLab.Orchestrator.Lifecycle;

/// <summary>
/// The agent boundary on the receiving side, in front of every consumer of the orchestrator: a message is accepted only
/// from the broker identity (the RabbitMQ-validated <c>user_id</c>, <see cref="SenderIdentity"/>) allowed to send it —
/// an attempt report only from the agent that holds the attempt, an agent's announcement or stop only from that agent
/// (and only for its own queue and a pool its token allows), a user's intent only from the web; an agent's reports only
/// while it has a live agent token (its broker credential). Anything else is recorded in
/// <c>refused_messages</c> with its sender and dropped (acknowledged, not faulted: it never cycles through retries into an
/// error queue). Messages of other kinds (the bus's own faults) pass.
/// </summary>
public sealed class SenderCheckFilter<T>(PlatformDbContext db, AttemptHolders holders, AgentStandings standings, IOptions<OrchestratorOptions> options,
    RabbitMqOptions rabbit, TimeProvider clock, ILogger<SenderCheckFilter<T>> log) : IFilter<ConsumeContext<T>> where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var reason = await RefusalAsync(context);
        if (reason is null)
        {
            await next.Send(context);
            return;
        }
        var sender = SenderIdentity.Of(context);
        var attempt = context.Message as IAttemptReport;
        var claimed = (context.Message as IAgentReport)?.AgentId;
        log.LogWarning("Refused {MessageType} from {Sender} (claims agent {ClaimedAgent}, experiment {ExperimentId} attempt {AttemptNumber}): {Reason}",
            typeof(T).Name, sender ?? "(none)", claimed, attempt?.ExperimentId ?? (context.Message as IUserIntent)?.ExperimentId, attempt?.AttemptNumber, reason);
        await RefusedMessageLog.RecordAsync(db, new RefusedMessage
        {
            MessageId = context.MessageId?.ToString() ?? Guid.NewGuid().ToString(), At = clock.GetUtcNow(), MessageType = typeof(T).Name,
            Sender = sender ?? "(none)", ClaimedAgentId = claimed,
            ExperimentId = attempt?.ExperimentId ?? (context.Message as IUserIntent)?.ExperimentId, AttemptNumber = attempt?.AttemptNumber, Reason = reason,
        }, context.CancellationToken);
        // Dealt with: acknowledged as consumed, so the transport neither redelivers it nor moves it to a _skipped queue.
        await context.NotifyConsumed(context, System.Diagnostics.Stopwatch.GetElapsedTime(started), nameof(SenderCheckFilter<T>));
    }

    /// <summary>Why the message may not be applied, or null when its sender may send it.</summary>
    private async Task<string?> RefusalAsync(ConsumeContext<T> context)
    {
        var message = context.Message;
        if (message is not (IAttemptReport or IAgentReport or IUserIntent)) return null;
        var sender = SenderIdentity.Of(context);
        if (sender is null) return "no broker-validated sender (user_id)";
        if (message is IUserIntent)
            return options.Value.WebBrokerUsers.Contains(sender) ? null : $"only the web may send {typeof(T).Name}";

        var agent = SenderIdentity.AgentIdOf(sender);
        if (agent is null) return "not an agent's broker identity";
        if (message is IAgentReport named && named.AgentId != agent) return $"names agent '{named.AgentId}', sent by agent '{agent}'";
        if (message is AgentAnnounced announced && announced.QueueName != QueueNames.Agent(rabbit.QueuePrefix, agent))
            return $"announces queue '{announced.QueueName}', not its own";
        // Its token is its broker credential: once revoked or expired, nothing it still sends on an open connection counts.
        var standing = await standings.GetAsync(db, agent, context.CancellationToken);
        if (!standing.Live) return $"agent '{agent}' has no live agent token (revoked or expired)";
        if (message is AgentAnnounced joining && !standing.MayJoin(joining.Pool))
            return $"agent '{agent}' may not join pool '{joining.Pool}' (its token allows {string.Join(", ", standing.Pools ?? [])})";
        if (message is IAttemptReport report)
        {
            var holder = await holders.GetAsync(db, report.ExperimentId, report.AttemptNumber, context.CancellationToken);
            if (holder is null) return $"experiment {report.ExperimentId} has no attempt {report.AttemptNumber}";
            if (holder != agent) return $"attempt {report.AttemptNumber} of experiment {report.ExperimentId} is held by another agent";
        }
        return null;
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("sender-check");
}
