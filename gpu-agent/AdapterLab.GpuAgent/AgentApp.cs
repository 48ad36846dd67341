using System.Net.Http.Headers;
using AdapterLab.GpuAgent.Api;
using AdapterLab.GpuAgent.Consumers;
using AdapterLab.GpuAgent.Running;
using AdapterLab.Messaging;
using AdapterLab.ServiceDefaults;
using AdapterLab.ServiceDefaults.Logging;
using AdapterLab.Training.Native;
using MassTransit;
using Microsoft.Extensions.Options;

namespace AdapterLab.GpuAgent;

/// <summary>Builds the agent host: its own queue for work, a heartbeat thread, training threads, blob transfer over HTTP.</summary>
public static class AgentApp
{
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);

        // Before anything starts: an installed libtorch (offline GPU hosts; refused unless it is TorchSharp's release),
        // then its id, token (enrolling once if it has only a pool's enrolment secret) and broker credential.
        using (var bootLog = PlatformLogging.BootLoggerFactory(builder.Configuration))
        {
            UseInstalledLibTorch(builder.Configuration, bootLog.CreateLogger("AdapterLab.GpuAgent.LibTorch"));
            AgentIdentity.Resolve(builder.Configuration, bootLog.CreateLogger("AdapterLab.GpuAgent.AgentIdentity"));
        }
        var boot = builder.Configuration.GetSection(AgentOptions.Section).Get<AgentOptions>() ?? new AgentOptions();
        builder.AddServiceDefaults("gpu-agent", boot.ResolvedId);
        // What is logged while an attempt runs also goes to the platform, as that attempt's log (the run page shows it).
        builder.Logging.AddProvider(new AttemptLogCapture());

        builder.Services.AddOptions<AgentOptions>().BindConfiguration(AgentOptions.Section);
        builder.Services.AddSingleton<AttemptRegistry>();
        builder.Services.AddSingleton<AttemptRunner>();
        builder.Services.AddSingleton<ReliablePublisher>();
        builder.Services.AddSingleton<AdapterLab.GpuAgent.Telemetry.AgentMetrics>();
        builder.Services.AddSingleton<HeartbeatLoop>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HeartbeatLoop>());
        builder.Services.AddHostedService<AgentDrain>();
        // The host waits for the drain (and then for the bus) before it gives up on a clean stop.
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(boot.DrainSeconds + 20));
        builder.Services.AddHttpClient<BlobClient>((sp, http) =>
        {
            var o = sp.GetRequiredService<IOptions<AgentOptions>>().Value;
            http.BaseAddress = new Uri(o.ApiUrl.TrimEnd('/') + "/");
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", o.Token);
            http.Timeout = TimeSpan.FromMinutes(30);
        });

        var agentId = boot.ResolvedId;
        builder.Services.AddPlatformBus(builder.Configuration,
            x =>
            {
                x.AddConsumer<RunExperimentConsumer>();
                x.AddConsumer<CancelAttemptConsumer>();
            },
            (ctx, cfg, rabbit) => cfg.ReceiveEndpoint(QueueNames.Agent(rabbit.QueuePrefix, agentId), e =>
            {
                e.DurableQueue(rabbit);
                // The orchestrator sends here directly; nothing is published to an agent.
                e.ConfigureConsumeTopology = false;
                e.PrefetchCount = 4;
                e.ConcurrentMessageLimit = 1;
                // Faults go to the orchestrator as AttemptFailed; an agent may publish nothing else (broker permissions).
                e.PublishFaults = false;
                e.UseConsumeFilter(typeof(OrchestratorOnlyFilter<>), ctx);
                e.ConfigureConsumers(ctx);
            }));

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapGet("/", (IOptions<AgentOptions> o, AttemptRegistry r) => Results.Ok(new { agent = o.Value.ResolvedId, pool = o.Value.Pool, slots = o.Value.Slots, running = r.Describe() }));
        return app;
    }

    private static void UseInstalledLibTorch(IConfiguration configuration, ILogger log)
    {
        var directory = configuration[$"{AgentOptions.Section}:LibTorchDirectory"] is { Length: > 0 } d ? d : Environment.GetEnvironmentVariable(LibTorchLocation.Variable);
        if (LibTorchLocation.Load(directory) is not { } loaded) return;
        TorchSharp.torch.InitializeDeviceType(TorchSharp.DeviceType.CPU);
        var from = LibTorchLocation.LoadedFrom();
        if (from is null || !loaded.EndsWith(" from " + from, StringComparison.Ordinal))
            throw new LibTorchLocationException($"{LibTorchLocation.Variable}={directory} was loaded, but TorchSharp bound libtorch from {from ?? "an unknown place"}");
        log.LogInformation("Using {LibTorch} (TorchSharp initialised against it)", loaded);
    }
}
