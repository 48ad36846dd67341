using AdapterLab.Messaging;
using MassTransit;
using Microsoft.Extensions.Options;

namespace AdapterLab.GpuAgent.Consumers;

/// <summary>
/// The agent's side of the boundary: work and cancellations (<c>RunExperiment</c>, <c>CancelAttempt</c>) are accepted only
/// from the orchestrator's broker identity (the RabbitMQ-validated <c>user_id</c>, <see cref="SenderIdentity"/>); anything
/// else that reaches this agent's queue is logged and dropped, never run.
/// </summary>
public sealed class OrchestratorOnlyFilter<T>(IOptions<AgentOptions> options, ILogger<OrchestratorOnlyFilter<T>> log) : IFilter<ConsumeContext<T>> where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        var sender = SenderIdentity.Of(context);
        if (sender is not null && options.Value.OrchestratorBrokerUsers.Contains(sender))
        {
            await next.Send(context);
            return;
        }
        log.LogWarning("Refused {MessageType} {MessageId} from {Sender}: only the orchestrator may send it", typeof(T).Name, context.MessageId, sender ?? "(none)");
        // Dealt with: acknowledged as consumed, never redelivered or moved to a _skipped queue.
        await context.NotifyConsumed(context, TimeSpan.Zero, nameof(OrchestratorOnlyFilter<T>));
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("orchestrator-only");
}
