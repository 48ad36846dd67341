using AdapterLab.Messaging;
using AdapterLab.Web.Outbox;
using MassTransit;

namespace AdapterLab.Web.Notifications;

/// <summary>The web's bus: publishes through the outbox relay, listens to status news on a per-instance queue.</summary>
public static class MessagingExtensions
{
    public static WebApplicationBuilder AddPlatformMessaging(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ExperimentNotifications>();
        builder.Services.AddSingleton<OutboxSignal>();
        builder.Services.AddSingleton<OutboxPublisher>();
        builder.Services.AddHostedService<OutboxRelay>();
        builder.Services.AddPlatformBus(builder.Configuration,
            x => x.AddConsumer<ExperimentStatusChangedConsumer>(),
            (ctx, cfg, options) =>
            {
                // Every instance sees every change (fan-out), and its queue disappears with it: news, not work. Exclusive:
                // a transient queue others could share is refused by RabbitMQ 4.3 by default.
                var queue = $"{options.QueuePrefix}adapterlab-web-{Environment.MachineName.ToLowerInvariant()}-{Guid.NewGuid().ToString("N")[..8]}";
                cfg.ReceiveEndpoint(queue, e =>
                {
                    e.AutoDelete = true;
                    e.Durable = false;
                    e.Exclusive = true;
                    e.PrefetchCount = 64;
                    e.ConfigureConsumer<ExperimentStatusChangedConsumer>(ctx);
                });
            });
        return builder;
    }
}
