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
        // Points and both step counters in one round trip.
        await writer.WriteProgressAsync(m, ct);
        if (!e.Status.IsTerminal())
            await context.Publish(new ExperimentStatusChanged { ExperimentId = e.Id, Status = e.Status.ToString(), Step = Math.Max(e.Step, m.Step), TotalSteps = m.TotalSteps }, ct);
    }
}
