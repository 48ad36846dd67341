using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Agents;

/// <summary>
/// <c>/api/agent-tokens</c> (admin): each agent gets its own token — issued (the plaintext is in the response once, only
/// its sha256 is stored), listed (prefix only) and revoked (the agent's blob transfers stop at once).
/// </summary>
public static class AgentTokensApi
{
    public static IEndpointRouteBuilder MapAgentTokensApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/agent-tokens").WithTags("Agents")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Scopes.Admin);
        api.MapPost("/", Issue).WithName("IssueAgentToken").WithSummary("Issue a token for one agent; the response holds the token itself, shown this once")
            .ProducesValidationProblem();
        api.MapGet("/", List).WithName("ListAgentTokens").WithSummary("Agent tokens: name, prefix, created, revoked");
        api.MapDelete("/{id:guid}", Revoke).WithName("RevokeAgentToken").WithSummary("Revoke an agent token")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    /// <summary>Body of <c>POST /api/agent-tokens</c>: the agent (or machine) the token is for.</summary>
    public sealed record IssueTokenRequest(string Name);

    /// <summary>A token as listed: never the secret.</summary>
    public sealed record AgentTokenView(Guid Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

    /// <summary>The answer to an issue: <see cref="Token"/> is the plaintext, not retrievable later.</summary>
    public sealed record IssuedAgentToken(Guid Id, string Name, string Prefix, string Token);

    private static async Task<Results<Created<IssuedAgentToken>, ValidationProblem>> Issue(IssueTokenRequest body, PlatformDbContext db, TimeProvider clock, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 100)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["name"] = ["give a name of 1 to 100 characters"] });
        var secret = "alt_" + SecretHash.NewSecret();
        var token = new AgentToken { Id = Guid.NewGuid(), Name = body.Name.Trim(), Prefix = SecretHash.Prefix(secret), Hash = SecretHash.Of(secret), CreatedAt = clock.GetUtcNow() };
        db.AgentTokens.Add(token);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/agent-tokens/{token.Id}", new IssuedAgentToken(token.Id, token.Name, token.Prefix, secret));
    }

    private static async Task<Ok<List<AgentTokenView>>> List(PlatformDbContext db, CancellationToken ct) =>
        TypedResults.Ok(await db.AgentTokens.AsNoTracking().OrderBy(t => t.CreatedAt)
            .Select(t => new AgentTokenView(t.Id, t.Name, t.Prefix, t.CreatedAt, t.RevokedAt)).ToListAsync(ct));

    private static async Task<Results<NoContent, ProblemHttpResult>> Revoke(Guid id, PlatformDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var token = await db.AgentTokens.SingleOrDefaultAsync(t => t.Id == id, ct);
        if (token is null) return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Agent token not found", detail: $"no agent token with id {id}");
        token.RevokedAt ??= clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }
}
