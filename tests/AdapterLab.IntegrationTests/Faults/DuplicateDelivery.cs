using AdapterLab.Messaging;
using MassTransit;

namespace AdapterLab.IntegrationTests.Faults;

/// <summary>Hands every consumed message to its consumer twice, as an at-least-once broker may.</summary>
public sealed class DuplicateDeliveryHook : IBusConfigurationHook
{
    public void Configure(IBusRegistrationContext context, IRabbitMqBusFactoryConfigurator configurator) =>
        configurator.UseConsumeFilter(typeof(DuplicateDeliveryFilter<>), context);
}

public sealed class DuplicateDeliveryFilter<T> : IFilter<ConsumeContext<T>> where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        await next.Send(context);
        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("duplicate-delivery");
}
