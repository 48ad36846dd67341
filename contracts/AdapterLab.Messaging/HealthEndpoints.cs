using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AdapterLab.Messaging;

public static class HealthEndpoints
{
    /// <summary><c>/health/live</c>: the process answers. <c>/health/ready</c>: every check tagged <c>ready</c> passes (MassTransit's bus is tagged ready).</summary>
    public static IEndpointRouteBuilder MapPlatformHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        return app;
    }
}
