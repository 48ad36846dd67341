using AdapterLab.ServiceDefaults;
using AdapterLab.Data;
using AdapterLab.Messaging;
using AdapterLab.Orchestrator.Checkpoints;
using AdapterLab.Orchestrator.Consumers;
using AdapterLab.Orchestrator.Lifecycle;
using AdapterLab.Orchestrator.Results;
using AdapterLab.Orchestrator.Scheduling;
using MassTransit;

namespace AdapterLab.Orchestrator;

/// <summary>Builds the orchestrator host: lifecycle consumers on one queue, progress on another, the dispatcher and the lease reaper.</summary>
public static class OrchestratorApp
{
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        builder.AddServiceDefaults("orchestrator");

        builder.Services.AddOptions<OrchestratorOptions>().BindConfiguration(OrchestratorOptions.Section);
        builder.Services.AddPlatformData(builder.Configuration);
        builder.Services.AddSingleton<DispatchSignal>();
        builder.Services.AddSingleton<AdapterLab.Orchestrator.Sweeps.SweepSignal>();
        builder.Services.AddSingleton<AdapterLab.Orchestrator.Sweeps.SweepDriver>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AdapterLab.Orchestrator.Sweeps.SweepDriver>());
        builder.Services.AddSingleton<MetricPointWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MetricPointWriter>());
        builder.Services.AddHostedService<AdapterLab.Orchestrator.Topology.LegacyBindings>();
        builder.Services.AddSingleton<AdapterLab.Orchestrator.Fleet.FleetReportWriter>();
        // The fleet's chatter (announcements, stops, heartbeats: a message per agent every few seconds) on a queue of its
        // own, read straight off the broker and grouped into one write (bench perf-fleet): a thousand agents' heartbeats
        // never queue ahead of a start or a result.
        builder.Services.AddSingleton<AdapterLab.Orchestrator.Fleet.FleetIngest>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AdapterLab.Orchestrator.Fleet.FleetIngest>());
        builder.Services.AddSingleton<FleetView>();
        builder.Services.AddSingleton<AdapterLab.Orchestrator.Fleet.FleetReadHorizon>();
        builder.Services.AddSingleton<Dispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Dispatcher>());
        builder.Services.AddSingleton<LeaseReaper>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LeaseReaper>());
        builder.Services.AddSingleton<BlobGarbageCollector>();
        builder.Services.AddSingleton<AttemptHolders>();
        builder.Services.AddSingleton<AgentStandings>();
        builder.Services.AddSingleton<SenderPolicy>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BlobGarbageCollector>());
        builder.Services.AddSingleton<AdapterLab.Orchestrator.Telemetry.OrchestratorMetrics>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AdapterLab.Orchestrator.Telemetry.OrchestratorMetrics>());
        builder.Services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: ["ready"])
            .AddCheck<AdapterLab.Orchestrator.Fleet.FleetIngest>("fleet-queue", tags: ["ready"]);

        builder.Services.AddPlatformBus(builder.Configuration,
            x =>
            {
                x.AddConsumer<ExperimentSubmittedConsumer>();
                x.AddConsumer<AttemptStartedConsumer>();
                x.AddConsumer<AttemptProgressedConsumer>();
                x.AddConsumer<AttemptLoggedConsumer>();
                x.AddConsumer<CheckpointSavedConsumer>();
                x.AddConsumer<AffinityMeasuredConsumer>();
                x.AddConsumer<AttemptSucceededConsumer>();
                x.AddConsumer<AttemptFailedConsumer>();
                x.AddConsumer<AttemptCancelledConsumer>();
                x.AddConsumer<AttemptPausedConsumer>();
                x.AddConsumer<CancelRequestedConsumer>();
                x.AddConsumer<RetryRequestedConsumer>();
                x.AddConsumer<PoisonMessageConsumer>();
            },
            (ctx, cfg, rabbit) =>
            {
                cfg.ReceiveEndpoint(QueueNames.Orchestrator(rabbit.QueuePrefix), e =>
                {
                    e.DurableQueue(rabbit);
                    e.PrefetchCount = 32;
                    e.ConcurrentMessageLimit = 8;
                    e.UseConsumeFilter(typeof(SenderCheckFilter<>), ctx);
                    e.ConfigureConsumer<ExperimentSubmittedConsumer>(ctx);
                    e.ConfigureConsumer<AttemptStartedConsumer>(ctx);
                    e.ConfigureConsumer<CheckpointSavedConsumer>(ctx);
                    e.ConfigureConsumer<AffinityMeasuredConsumer>(ctx);
                    e.ConfigureConsumer<AttemptSucceededConsumer>(ctx);
                    e.ConfigureConsumer<AttemptFailedConsumer>(ctx);
                    e.ConfigureConsumer<AttemptCancelledConsumer>(ctx);
                    e.ConfigureConsumer<AttemptPausedConsumer>(ctx);
                    e.ConfigureConsumer<CancelRequestedConsumer>(ctx);
                    e.ConfigureConsumer<RetryRequestedConsumer>(ctx);
                    e.ConfigureConsumer<PoisonMessageConsumer>(ctx);
                });
                // Progress on a queue of its own: many reports in flight at once, which the metric point writer groups
                // into one statement; a burst of them never queues ahead of a submission or a start.
                var progress = ctx.GetRequiredService<Microsoft.Extensions.Options.IOptions<OrchestratorOptions>>().Value.ProgressConcurrency;
                cfg.ReceiveEndpoint(QueueNames.OrchestratorProgress(rabbit.QueuePrefix), e =>
                {
                    e.DurableQueue(rabbit);
                    e.ConcurrentMessageLimit = Math.Max(1, progress);
                    e.PrefetchCount = Math.Max(1, progress) * 2;
                    e.UseConsumeFilter(typeof(SenderCheckFilter<>), ctx);
                    e.ConfigureConsumer<AttemptProgressedConsumer>(ctx);
                    e.ConfigureConsumer<AttemptLoggedConsumer>(ctx);
                });
            });

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapGet("/", () => Microsoft.AspNetCore.Http.Results.Text("AdapterLab orchestrator"));
        return app;
    }
}
