using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using AdapterLab.Messaging;
using AdapterLab.Orchestrator.Fleet;
using AdapterLab.Orchestrator.Scheduling;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Orchestrator.Consumers;

/// <summary>
/// Keeps the agents table current (an upsert, grouped with the fleet's other reports of the moment by
/// <see cref="FleetReportWriter"/>; an older announcement never overwrites a newer one). Wakes the dispatcher only when
/// the announcement brings capacity it has not seen — every idle agent re-announcing its free slot every few seconds
/// would otherwise run a dispatch pass per announcement (bench perf-fleet) — and tells the agent to stop any attempt it
/// still runs that has moved on without it.
/// </summary>
public sealed class AgentAnnouncedConsumer(FleetReportWriter writer, PlatformDbContext db, DispatchSignal signal) : IConsumer<AgentAnnounced>, IConsumer<AgentStopping>
{
    public async Task Consume(ConsumeContext<AgentAnnounced> context)
    {
        var m = context.Message;
        var outcome = await writer.AnnouncementAsync(m, context.CancellationToken);
        if (outcome.NewCapacity) signal.Raise();
        foreach (var r in outcome.Superseded)
        {
            var endpoint = await context.GetSendEndpoint(QueueNames.AgentAddress(m.QueueName));
            await endpoint.Send(new CancelAttempt { ExperimentId = r.ExperimentId, AttemptNumber = r.AttemptNumber }, context.CancellationToken);
        }
    }

    public async Task Consume(ConsumeContext<AgentStopping> context)
    {
        await db.Database.ExecuteSqlInterpolatedAsync($"UPDATE agents SET stopped = true WHERE id = {context.Message.AgentId}", context.CancellationToken);
    }
}
