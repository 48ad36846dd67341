using AdapterLab.Contracts.Messages;
using MassTransit;

namespace AdapterLab.Web.Notifications;

/// <summary>Forwards the orchestrator's status news from this instance's private queue into <see cref="ExperimentNotifications"/>.</summary>
public sealed class ExperimentStatusChangedConsumer(ExperimentNotifications notifications) : IConsumer<ExperimentStatusChanged>
{
    public Task Consume(ConsumeContext<ExperimentStatusChanged> context)
    {
        notifications.Publish(context.Message);
        return Task.CompletedTask;
    }
}
