using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using AdapterLab.Orchestrator.Lifecycle;
using AdapterLab.Orchestrator.Results;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Orchestrator.Consumers;

/// <summary>Persists a batch of metric points (idempotent upsert) and the step counter of the current attempt.</summary>
public sealed class AttemptProgressedConsumer(PlatformDbContext db, MetricPointWriter writer) : IConsumer<AttemptProgressed>
{
    public async Task Consume(ConsumeContext<AttemptProgressed> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        if (await AttemptFence.LoadCurrentAsync(db, m.ExperimentId, m.AttemptNumber, ct) is not ({ } e, _)) return;
        await writer.WriteAsync(m.ExperimentId, m.AttemptNumber, m.Points, ct);
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            UPDATE experiments SET step = GREATEST(step, {m.Step}), total_steps = {m.TotalSteps},
                images_per_second = COALESCE({m.ImagesPerSecond}, images_per_second), peak_memory_bytes = COALESCE({m.PeakMemoryBytes}, peak_memory_bytes)
            WHERE id = {m.ExperimentId} AND attempt_count = {m.AttemptNumber}
            """, ct);
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            UPDATE attempts SET step = GREATEST(step, {m.Step}) WHERE experiment_id = {m.ExperimentId} AND number = {m.AttemptNumber}
            """, ct);
        if (!e.Status.IsTerminal())
            await context.Publish(new ExperimentStatusChanged { ExperimentId = e.Id, Status = e.Status.ToString(), Step = Math.Max(e.Step, m.Step), TotalSteps = m.TotalSteps }, ct);
    }
}
