using AdapterLab.Data;
using AdapterLab.Messaging;
using MassTransit;

namespace AdapterLab.Orchestrator.Lifecycle;

/// <summary>
/// The agent boundary (<see cref="SenderPolicy"/>) in front of every consumer of the orchestrator's bus endpoints. A
/// refused message is recorded in <c>refused_messages</c> and dropped (acknowledged, not faulted: it never cycles through
/// retries into an error queue).
/// </summary>
public sealed class SenderCheckFilter<T>(PlatformDbContext db, SenderPolicy policy) : IFilter<ConsumeContext<T>> where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var sender = SenderIdentity.Of(context);
        var reason = await policy.RefusalAsync(db, sender, context.Message, context.CancellationToken);
        if (reason is null)
        {
            await next.Send(context);
            return;
        }
        await policy.RecordAsync(db, sender, context.Message, context.MessageId?.ToString(), reason, context.CancellationToken);
        // Dealt with: acknowledged as consumed, so the transport neither redelivers it nor moves it to a _skipped queue.
        await context.NotifyConsumed(context, System.Diagnostics.Stopwatch.GetElapsedTime(started), nameof(SenderCheckFilter<T>));
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("sender-check");
}
