using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AdapterLab.Orchestrator.Consumers;

/// <summary>Extends the lease of a live attempt. One fenced UPDATE: a lost attempt's heartbeat changes nothing.</summary>
public sealed class AttemptHeartbeatConsumer(PlatformDbContext db, IOptions<OrchestratorOptions> options, TimeProvider clock) : IConsumer<AttemptHeartbeat>
{
    public async Task Consume(ConsumeContext<AttemptHeartbeat> context)
    {
        var m = context.Message;
        var now = clock.GetUtcNow();
        var lease = now + options.Value.Lease;
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            UPDATE attempts SET lease_expires_at = GREATEST(lease_expires_at, {lease}), last_heartbeat_at = {now}, step = GREATEST(step, {m.Step})
            WHERE experiment_id = {m.ExperimentId} AND number = {m.AttemptNumber} AND status IN ('Dispatched', 'Running')
            """, context.CancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync($"UPDATE agents SET last_seen_at = GREATEST(last_seen_at, {now}) WHERE id = {m.AgentId}", context.CancellationToken);
    }
}
