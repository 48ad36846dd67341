using AdapterLab.ServiceDefaults.Health;
using AdapterLab.ServiceDefaults.Logging;
using AdapterLab.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace AdapterLab.ServiceDefaults;

/// <summary>What every host starts with: logging, health checks, telemetry, a clock; and the endpoints they serve.</summary>
public static class ServiceDefaultsExtensions
{
    /// <param name="serviceName"><c>web</c>, <c>orchestrator</c> or <c>gpu-agent</c> (the trace and metric resource name).</param>
    /// <param name="instanceId">This instance (an agent's id; the machine name otherwise).</param>
    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder, string serviceName, string? instanceId = null)
    {
        builder.AddPlatformLogging();
        builder.Services.AddHealthChecks();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.AddPlatformTelemetry(serviceName, instanceId);
        return builder;
    }

    /// <summary><c>/health/live</c>, <c>/health/ready</c> and <c>/metrics</c> (Prometheus text).</summary>
    public static WebApplication MapServiceDefaults(this WebApplication app)
    {
        app.MapPlatformHealth();
        app.MapPrometheusScrapingEndpoint(TelemetrySetup.MetricsPath);
        return app;
    }
}
