using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AdapterLab.Messaging;

public static class BusRegistration
{
    /// <summary>
    /// MassTransit on RabbitMQ with the platform's conventions: persistent messages, publisher confirms, durable quorum-free
    /// durable queues with error queues (MassTransit's <c>_error</c>), retries with back-off for transient faults.
    /// <paramref name="configure"/> adds consumers; <paramref name="endpoints"/> declares receive endpoints.
    /// </summary>
    public static IServiceCollection AddPlatformBus(this IServiceCollection services, IConfiguration configuration,
        Action<IBusRegistrationConfigurator>? configure = null,
        Action<IBusRegistrationContext, IRabbitMqBusFactoryConfigurator, RabbitMqOptions>? endpoints = null)
    {
        var options = configuration.GetSection(RabbitMqOptions.Section).Get<RabbitMqOptions>() ?? new RabbitMqOptions();
        services.AddSingleton(options);
        services.AddMassTransit(x =>
        {
            configure?.Invoke(x);
            x.UsingRabbitMq((ctx, cfg) =>
            {
                cfg.Host(options.Host, (ushort)options.Port, options.VirtualHost, h =>
                {
                    h.Username(options.Username);
                    h.Password(options.Password);
                    h.PublisherConfirmation = true;
                    h.RequestedConnectionTimeout(TimeSpan.FromSeconds(10));
                });
                if (options.QueuePrefix.Length > 0)
                {
                    // Exchanges too, not only queues: two platforms sharing a vhost (parallel test runs) never see each other's messages.
                    cfg.MessageTopology.SetEntityNameFormatter(new PrefixEntityNameFormatter(cfg.MessageTopology.EntityNameFormatter, options.QueuePrefix));
                }
                cfg.UseMessageRetry(r => r.Exponential(8, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200)));
                foreach (var hook in ctx.GetServices<IBusConfigurationHook>()) hook.Configure(ctx, cfg);
                endpoints?.Invoke(ctx, cfg, options);
            });
        });
        services.Configure<MassTransitHostOptions>(o =>
        {
            o.WaitUntilStarted = false;
            o.StartTimeout = TimeSpan.FromSeconds(30);
            o.StopTimeout = TimeSpan.FromSeconds(15);
        });
        return services;
    }
}
