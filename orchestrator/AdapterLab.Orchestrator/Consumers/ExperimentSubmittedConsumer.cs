using AdapterLab.Contracts.Messages;
using AdapterLab.Orchestrator.Scheduling;
using MassTransit;

namespace AdapterLab.Orchestrator.Consumers;

/// <summary>A new experiment is in the queue (stored by web before this was sent): dispatch now rather than at the next tick.</summary>
public sealed class ExperimentSubmittedConsumer(DispatchSignal signal) : IConsumer<ExperimentSubmitted>, IConsumer<QueueChanged>
{
    public Task Consume(ConsumeContext<ExperimentSubmitted> context)
    {
        signal.Raise();
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<QueueChanged> context)
    {
        signal.Raise();
        return Task.CompletedTask;
    }
}
