using AdapterLab.Contracts.Messages;
using AdapterLab.Orchestrator.Results;
using AdapterLab.Orchestrator.Telemetry;
using MassTransit;

namespace AdapterLab.Orchestrator.Consumers;

/// <summary>
/// Persists a batch of metric points and the step counters of the current attempt (fenced, idempotent), grouped with
/// the reports other consumers hold at the same moment into one statement (<see cref="MetricPointWriter"/>). Runs on
/// the orchestrator's progress queue, apart from the lifecycle messages, so a flood of reports never delays a dispatch.
/// </summary>
public sealed class AttemptProgressedConsumer(MetricPointWriter writer, OrchestratorMetrics metrics, TimeProvider clock) : IConsumer<AttemptProgressed>
{
    public async Task Consume(ConsumeContext<AttemptProgressed> context)
    {
        var news = await writer.WriteProgressAsync(context.Message, context.CancellationToken);
        metrics.Ingested(context.Message.Points.Count, context.SentTime is { } sent ? clock.GetUtcNow() - new DateTimeOffset(DateTime.SpecifyKind(sent, DateTimeKind.Utc)) : TimeSpan.MinValue);
        if (news is not null) await context.Publish(news, context.CancellationToken);
    }
}
