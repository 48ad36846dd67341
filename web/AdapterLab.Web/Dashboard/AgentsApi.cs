using System.Security.Claims;
using AdapterLab.Data;
using AdapterLab.Web.Auth;
using AdapterLab.Web.Experiments;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AdapterLab.Web.Dashboard;

/// <summary><c>/api/agents</c>: the fleet as the dashboard shows it; admins lift quarantine.</summary>
public static class AgentsApi
{
    public static IEndpointRouteBuilder MapAgentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/agents").WithTags("Agents")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("/", List).WithName("ListAgents")
            .WithSummary("Agents with pool, device, slots, last heartbeat, quarantine state and their active attempts")
            .RequireAuthorization(Scopes.Read);
        api.MapPost("/{id}/lift-quarantine", Lift).WithName("LiftAgentQuarantine")
            .WithSummary("Put a quarantined agent back into dispatch (resets its failure count)")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Scopes.Admin);
        return app;
    }

    private static async Task<Ok<IReadOnlyList<AgentRow>>> List(AgentDirectory agents, CancellationToken ct) =>
        TypedResults.Ok(await agents.ListAsync(ct));

    private static async Task<Results<NoContent, ProblemHttpResult>> Lift(string id, ClaimsPrincipal user, AgentDirectory agents, CancellationToken ct) =>
        await agents.LiftQuarantineAsync(id, user, ct) switch
        {
            AgentDirectory.LiftOutcome.Lifted => TypedResults.NoContent(),
            AgentDirectory.LiftOutcome.Forbidden => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Admins only"),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Agent not found", detail: $"no agent {id}"),
        };
}
