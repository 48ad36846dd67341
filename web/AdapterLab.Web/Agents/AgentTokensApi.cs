using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Agents;

/// <summary>
/// <c>/api/agent-tokens</c> (admin): each agent gets its own token — issued (the plaintext is in the response once, only
/// its sha256 is stored), listed (prefix, expiry, last use; never the secret) and revoked (the agent's blob transfers stop
/// at once). A token may expire (<c>expiresInDays</c>); rotation is: issue a new token, give it to the agent, revoke the
/// old one once the list shows the new one in use.
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
        api.MapGet("/", List).WithName("ListAgentTokens").WithSummary("Agent tokens: name, prefix, created, expires, last used, revoked");
        api.MapDelete("/{id:guid}", Revoke).WithName("RevokeAgentToken").WithSummary("Revoke an agent token")
            .ProducesProblem(StatusCodes.Status404NotFound);
        // An agent (or its launcher) checks that its token still works, and whose it is.
        app.MapGet("/api/agent/whoami", (HttpContext http) => TypedResults.Ok(new AgentSelf(http.User.FindFirst(AgentTokenAuthenticationHandler.AgentClaim)?.Value ?? "")))
            .WithTags("Agent").RequireAuthorization(Scopes.AgentPolicy).WithName("AgentWhoAmI")
            .WithSummary("The agent the presented agent token belongs to (401 when it is unknown, revoked or expired)");
        return app;
    }

    public sealed record AgentSelf(string Agent);

    /// <summary>Body of <c>POST /api/agent-tokens</c>: the agent (or machine) the token is for, and optionally its lifetime in days (1–3650).</summary>
    public sealed record IssueTokenRequest(string Name, int? ExpiresInDays = null);

    /// <summary>A token as listed: never the secret.</summary>
    public sealed record AgentTokenView(Guid Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt,
        DateTimeOffset? ExpiresAt, DateTimeOffset? LastUsedAt);

    /// <summary>The answer to an issue: <see cref="Token"/> is the plaintext, not retrievable later.</summary>
    public sealed record IssuedAgentToken(Guid Id, string Name, string Prefix, string Token, DateTimeOffset? ExpiresAt = null);

    private static async Task<Results<Created<IssuedAgentToken>, ValidationProblem>> Issue(IssueTokenRequest body, PlatformDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 100 || body.Name.Any(char.IsControl))
            errors["name"] = ["give a name of 1 to 100 characters without control characters"];
        if (body.ExpiresInDays is < 1 or > 3650) errors["expiresInDays"] = ["must be between 1 and 3650 days (omit it for a token that does not expire)"];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var secret = "alt_" + SecretHash.NewSecret();
        var now = clock.GetUtcNow();
        var token = new AgentToken
        {
            Id = Guid.NewGuid(), Name = body.Name.Trim(), Prefix = SecretHash.Prefix(secret), Hash = SecretHash.Of(secret), CreatedAt = now,
            ExpiresAt = body.ExpiresInDays is { } days ? now.AddDays(days) : null,
        };
        db.AgentTokens.Add(token);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/agent-tokens/{token.Id}", new IssuedAgentToken(token.Id, token.Name, token.Prefix, secret, token.ExpiresAt));
    }

    private static async Task<Ok<List<AgentTokenView>>> List(PlatformDbContext db, CancellationToken ct) =>
        TypedResults.Ok(await db.AgentTokens.AsNoTracking().OrderBy(t => t.CreatedAt)
            .Select(t => new AgentTokenView(t.Id, t.Name, t.Prefix, t.CreatedAt, t.RevokedAt, t.ExpiresAt, t.LastUsedAt)).ToListAsync(ct));

    private static async Task<Results<NoContent, ProblemHttpResult>> Revoke(Guid id, PlatformDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var token = await db.AgentTokens.SingleOrDefaultAsync(t => t.Id == id, ct);
        if (token is null) return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Agent token not found", detail: $"no agent token with id {id}");
        token.RevokedAt ??= clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }
}
