using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AdapterLab.ServiceDefaults.Telemetry;

/// <summary>
/// OpenTelemetry for a host: traces (ASP.NET Core, HttpClient, Npgsql, MassTransit and the platform's own spans) and
/// metrics (the same sources plus the runtime), exported by OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or
/// <c>Telemetry:OtlpEndpoint</c>) is set — traces are only collected then — and metrics always on <c>/metrics</c> in
/// Prometheus text.
/// </summary>
public static class TelemetrySetup
{
    public const string MetricsPath = "/metrics";

    public static IHostApplicationBuilder AddPlatformTelemetry(this IHostApplicationBuilder builder, string serviceName, string? instanceId = null)
    {
        var otlp = builder.Configuration["Telemetry:OtlpEndpoint"] ?? builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName, serviceNamespace: "adapterlab", serviceInstanceId: instanceId ?? Environment.MachineName))
            .WithMetrics(m =>
            {
                m.AddMeter(PlatformTelemetry.Name, PlatformTelemetry.MassTransit)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddPrometheusExporter();
                if (otlp is { Length: > 0 }) m.AddOtlpExporter(o => o.Endpoint = new Uri(otlp));
            });
        // Traces only where they go somewhere: without an exporter, sampling every request, message and query would be
        // pure cost. (The traceparent the web stores with a submission is recorded either way when a caller sends one.)
        if (otlp is { Length: > 0 })
            telemetry.WithTracing(t => t
                .AddSource(PlatformTelemetry.Name, PlatformTelemetry.MassTransit)
                .AddAspNetCoreInstrumentation(o => o.Filter = ctx => !IsPlumbing(ctx.Request.Path))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddOtlpExporter(o => o.Endpoint = new Uri(otlp)));
        return builder;
    }

    /// <summary>Health probes and scrapes are not traced: they would drown the traces people read.</summary>
    private static bool IsPlumbing(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments(MetricsPath);
}
