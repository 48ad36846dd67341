using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AdapterLab.Messaging;

public static class BusRegistration
{
    /// <summary>
    /// MassTransit on RabbitMQ with the platform's conventions: persistent messages, publisher confirms, durable queues
    /// (quorum queues when <see cref="RabbitMqOptions.QuorumQueues"/>, <see cref="QuorumQueues"/>) with error queues (MassTransit's <c>_error</c>),
    /// retries with back-off for transient faults; a bus's own reply queue is exclusive (never transient and shared).
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
            // No usage reports to masstransit.io: a platform's traffic is its own (and there is often no route out —
            // every service logged a failed telemetry call).
            x.DisableUsageTelemetry();
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
                ApplyConventions(cfg, options.Username, options.QueuePrefix);
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

    /// <summary>
    /// What every bus that talks to the platform needs, whether built here or by hand (the bench's simulated agents): the
    /// entity prefix (two platforms sharing a vhost — parallel test runs — never see each other's messages, exchanges
    /// included), no exchanges for the sender-kind interfaces (they are for the receiving side's checks, not routing; an
    /// agent may not declare them), and the broker user stamped into every message's user_id (RabbitMQ validates it:
    /// the receiving side knows who sent it, <see cref="SenderIdentity"/>).
    /// </summary>
    public static void ApplyConventions(IRabbitMqBusFactoryConfigurator cfg, string brokerUser, string queuePrefix)
    {
        if (queuePrefix.Length > 0)
            cfg.MessageTopology.SetEntityNameFormatter(new PrefixEntityNameFormatter(cfg.MessageTopology.EntityNameFormatter, queuePrefix));
        cfg.Publish<AdapterLab.Contracts.Messages.IAttemptReport>(p => p.Exclude = true);
        cfg.Publish<AdapterLab.Contracts.Messages.IAgentReport>(p => p.Exclude = true);
        cfg.Publish<AdapterLab.Contracts.Messages.IUserIntent>(p => p.Exclude = true);
        cfg.ConfigureSend(s => s.UseExecute(c => SenderIdentity.Stamp(c, brokerUser)));
        cfg.ConfigurePublish(p => p.UseExecute(c => SenderIdentity.Stamp(c, brokerUser)));
    }
}
