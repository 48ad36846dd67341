using AdapterLab.Contracts.Messages;
using AdapterLab.GpuAgent.Running;
using MassTransit;

namespace AdapterLab.GpuAgent.Consumers;

/// <summary>Stops an attempt at its next step boundary (or before it starts, if the cancel overtook it).</summary>
public sealed class CancelAttemptConsumer(AttemptRegistry registry) : IConsumer<CancelAttempt>
{
    public Task Consume(ConsumeContext<CancelAttempt> context)
    {
        registry.Cancel(context.Message.ExperimentId, context.Message.AttemptNumber);
        return Task.CompletedTask;
    }
}
