using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using AdapterLab.Messaging;
using AdapterLab.Orchestrator.Lifecycle;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Orchestrator.Consumers;

/// <summary>
/// A queued (or paused) experiment is cancelled at once (and so never dispatched); a dispatched or running one is marked and its
/// agent told to stop at the next step boundary; it becomes Cancelled when the agent confirms.
/// </summary>
public sealed class CancelRequestedConsumer(PlatformDbContext db, TimeProvider clock) : IConsumer<CancelRequested>
{
    public async Task Consume(ConsumeContext<CancelRequested> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        var e = await db.Experiments.SingleOrDefaultAsync(x => x.Id == m.ExperimentId, ct);
        if (e is null || e.Status.IsTerminal()) return;
        var now = clock.GetUtcNow();
        e.CancelRequested = true;
        ExperimentStatusChanged? news = null;
        string? agentQueue = null;
        if (e.Status is ExperimentStatus.Queued or ExperimentStatus.Lost or ExperimentStatus.Paused)
        {
            e.WaitingReason = null;
            news = ExperimentLifecycle.Transition(db, e, ExperimentStatus.Cancelled, m.Actor,
                e.Status == ExperimentStatus.Paused ? $"cancelled while paused at step {e.Step}" : "cancelled before it ran", now);
        }
        else
        {
            agentQueue = await db.Attempts.Where(a => a.ExperimentId == e.Id && a.Number == e.AttemptCount)
                .Join(db.Agents, a => a.AgentId, g => g.Id, (a, g) => g.QueueName)
                .SingleOrDefaultAsync(ct);
            db.StateTransitions.Add(new() { ExperimentId = e.Id, AttemptNumber = e.AttemptCount, From = e.Status.ToString(), To = e.Status.ToString(), Actor = m.Actor, Reason = "cancel requested", At = now });
        }
        await db.SaveChangesAsync(ct);
        if (agentQueue is not null)
        {
            var endpoint = await context.GetSendEndpoint(QueueNames.AgentAddress(agentQueue));
            await endpoint.Send(new CancelAttempt { ExperimentId = e.Id, AttemptNumber = e.AttemptCount }, ct);
        }
        if (news is not null) await context.Publish(news, ct);
    }
}
