using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using AdapterLab.Orchestrator.Lifecycle;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Orchestrator.Consumers;

/// <summary>Stores a task-affinity matrix of the current attempt; idempotent per (experiment, step, estimator).</summary>
public sealed class AffinityMeasuredConsumer(PlatformDbContext db, TimeProvider clock) : IConsumer<AffinityMeasured>
{
    public async Task Consume(ConsumeContext<AffinityMeasured> context)
    {
        var m = context.Message;
        int n = m.TaskOrder.Count;
        if (n == 0 || m.Values.Count != n * n || string.IsNullOrEmpty(m.Estimator)) return; // malformed: nothing sensible to store
        if (await AttemptFence.LoadCurrentAsync(db, m.ExperimentId, m.AttemptNumber, context.CancellationToken) is null) return;
        var tasks = m.TaskOrder.ToArray();
        var values = m.Values.ToArray();
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO affinity_matrices (experiment_id, step, estimator, task_order, values, created_at)
            VALUES ({m.ExperimentId}, {m.Step}, {m.Estimator}, {tasks}, {values}, {clock.GetUtcNow()})
            ON CONFLICT (experiment_id, step, estimator) DO NOTHING
            """, context.CancellationToken);
    }
}
