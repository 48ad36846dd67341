using Microsoft.AspNetCore.Routing.Patterns;

namespace AdapterLab.Web.Projects;

/// <summary>
/// Gates every per-item API URL by the item's project (<see cref="ProjectGate"/>), after authentication and the
/// endpoint's own policy: <c>/api/experiments/{id}…</c>, <c>/api/sweeps/{id}…</c>, <c>/api/suites/{name}…</c>,
/// <c>/api/suite-runs/{id}</c>, <c>/api/backbones/{name}</c>, <c>/api/models/{name}…</c> (predict included). New endpoints under these prefixes are gated without a
/// line of their own.
/// </summary>
public static class ProjectGateMiddleware
{
    private static readonly (string Prefix, string Parameter, ProjectItem Kind)[] Gated =
    [
        ("/api/experiments/{id", "id", ProjectItem.Experiment),
        ("/api/sweeps/{id", "id", ProjectItem.Sweep),
        ("/api/suites/{name", "name", ProjectItem.Suite),
        ("/api/suite-runs/{id", "id", ProjectItem.SuiteRun),
        ("/api/backbones/{name", "name", ProjectItem.Backbone),
        ("/api/models/{name", "name", ProjectItem.Model),
    ];

    public static IApplicationBuilder UseProjectGate(this IApplicationBuilder app) => app.Use(async (ctx, next) =>
    {
        if (ctx.User.Identity?.IsAuthenticated == true && ctx.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } pattern })
        {
            foreach (var (prefix, parameter, kind) in Gated)
            {
                if (!pattern.StartsWith(prefix, StringComparison.Ordinal) || ctx.GetRouteValue(parameter)?.ToString() is not { } key) continue;
                var gate = ctx.RequestServices.GetRequiredService<ProjectGate>();
                if (!await gate.CanReadAsync(ctx.User, kind, key, ctx.RequestAborted))
                {
                    await Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                        detail: $"{parameter}: no {kind.ToString().ToLowerInvariant()} '{key}' you can read").ExecuteAsync(ctx);
                    return;
                }
                break;
            }
        }
        await next();
    });
}
