using MassTransit;

namespace AdapterLab.Messaging;

/// <summary>
/// Extra bus configuration contributed through dependency injection, applied after the platform's own (for example a
/// consume filter). Production registers none; fault-injection tests register one that delivers every message twice.
/// </summary>
public interface IBusConfigurationHook
{
    void Configure(IBusRegistrationContext context, IRabbitMqBusFactoryConfigurator configurator);
}
