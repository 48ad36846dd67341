using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using AdapterLab.Messaging;
using AdapterLab.Orchestrator.Scheduling;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Orchestrator.Consumers;

/// <summary>Keeps the agents table current (upsert; an older announcement never overwrites a newer one).</summary>
public sealed class AgentAnnouncedConsumer(PlatformDbContext db, DispatchSignal signal) : IConsumer<AgentAnnounced>, IConsumer<AgentStopping>
{
    public async Task Consume(ConsumeContext<AgentAnnounced> context)
    {
        var m = context.Message;
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO agents (id, pool, device, device_name, device_memory_bytes, host, queue_name, slots, reported_free_slots, version, first_seen_at, last_seen_at, stopped, consecutive_failures, quarantined)
            VALUES ({m.AgentId}, {m.Pool}, {m.Device}, {m.DeviceName}, {m.DeviceMemoryBytes}, {m.Host}, {m.QueueName}, {m.Slots}, {m.FreeSlots}, {m.Version}, {m.SentAt}, {m.SentAt}, false, 0, false)
            ON CONFLICT (id) DO UPDATE SET pool = excluded.pool, device = excluded.device, device_name = excluded.device_name,
                device_memory_bytes = excluded.device_memory_bytes, host = excluded.host,
                queue_name = excluded.queue_name, slots = excluded.slots, reported_free_slots = excluded.reported_free_slots,
                version = excluded.version, last_seen_at = excluded.last_seen_at, stopped = false
            WHERE agents.last_seen_at <= excluded.last_seen_at
            """, context.CancellationToken);
        if (m.FreeSlots > 0) signal.Raise();

        // An agent still running an attempt that was declared lost (it was cut off, not dead) is told to stop it: the
        // experiment has moved on, and the slot is needed.
        foreach (var r in m.Running)
        {
            var current = await db.Attempts.AsNoTracking()
                .Where(a => a.ExperimentId == r.ExperimentId && a.Number == r.AttemptNumber)
                .Select(a => new { a.Status, a.AgentId, Latest = a.Experiment!.AttemptCount })
                .SingleOrDefaultAsync(context.CancellationToken);
            bool superseded = current is null || current.Latest != r.AttemptNumber || current.AgentId != m.AgentId
                              || current.Status is ExperimentStatus.Lost or ExperimentStatus.Failed or ExperimentStatus.Succeeded or ExperimentStatus.Cancelled;
            if (!superseded) continue;
            var endpoint = await context.GetSendEndpoint(QueueNames.AgentAddress(m.QueueName));
            await endpoint.Send(new CancelAttempt { ExperimentId = r.ExperimentId, AttemptNumber = r.AttemptNumber }, context.CancellationToken);
        }
    }

    public async Task Consume(ConsumeContext<AgentStopping> context)
    {
        await db.Database.ExecuteSqlInterpolatedAsync($"UPDATE agents SET stopped = true WHERE id = {context.Message.AgentId}", context.CancellationToken);
    }
}
