using System.Text.RegularExpressions;
using AdapterLab.Data;
using AdapterLab.Data.Security;
using AdapterLab.Data.Entities;
using AdapterLab.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Agents;

/// <summary>
/// Enrolment for fleets. An admin creates a pool-scoped enrolment secret (<c>/api/agent-enrolments</c>: shown once, only
/// its hash stored, optionally limited in agents and lifetime); a new agent — a pod an autoscaler just added — presents it
/// once to <c>POST /api/agents/enrol</c> and gets its own id and agent token, bound to that pool (the orchestrator refuses
/// its announcement in any other pool). The token is then its web and broker credential; the agent keeps it in its work
/// directory and never enrols again. Revoking the enrolment stops further enrolments, and with <c>revokeTokens=true</c>
/// also every token it issued.
/// </summary>
public static partial class AgentEnrolmentApi
{
    public static IEndpointRouteBuilder MapAgentEnrolmentApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/agent-enrolments").WithTags("Agents")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Scopes.Admin);
        admin.MapPost("/", Create).WithName("CreateAgentEnrolment")
            .WithSummary("Create a pool-scoped enrolment secret; the response holds the secret itself, shown this once").ProducesValidationProblem();
        admin.MapGet("/", List).WithName("ListAgentEnrolments").WithSummary("Enrolments: name, pool, prefix, limits, agents enrolled, revoked");
        admin.MapDelete("/{id:guid}", Revoke).WithName("RevokeAgentEnrolment")
            .WithSummary("Revoke an enrolment secret (revokeTokens=true: and every agent token it issued)").ProducesProblem(StatusCodes.Status404NotFound);

        app.MapPost("/api/agents/enrol", Enrol).WithTags("Agents").AllowAnonymous().DisableAntiforgery().WithName("EnrolAgent")
            .WithSummary("An agent presents an enrolment secret once and receives its own id and agent token (bound to the enrolment's pool)")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    public sealed record CreateEnrolmentRequest(string Name, string Pool, int? MaxAgents = null, int? ExpiresInDays = null, int? TokenDays = null);

    public sealed record EnrolmentView(Guid Id, string Name, string Pool, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
        DateTimeOffset? RevokedAt, int? MaxAgents, int Enrolled, int? TokenDays);

    /// <summary>The answer to a create: <see cref="Secret"/> is the plaintext, not retrievable later.</summary>
    public sealed record CreatedEnrolment(Guid Id, string Name, string Pool, string Prefix, string Secret, int? MaxAgents, DateTimeOffset? ExpiresAt);

    /// <summary>Body of <c>POST /api/agents/enrol</c>: the secret, and optionally the id the agent would like (e.g. its pod name).</summary>
    public sealed record EnrolRequest(string Secret, string? AgentId = null);

    public sealed record Enrolled(string AgentId, string Pool, string Token, DateTimeOffset? ExpiresAt);

    /// <summary>Agent ids become queue and broker user names: lowercase letters, digits, '.', '_' and '-', at most 63.</summary>
    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex AgentIdPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,49}$")]
    private static partial Regex PoolPattern();

    private static async Task<Results<Created<CreatedEnrolment>, ValidationProblem>> Create(CreateEnrolmentRequest body, PlatformDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 100 || body.Name.Any(char.IsControl))
            errors["name"] = ["give a name of 1 to 100 characters without control characters"];
        if (body.Pool is null || !PoolPattern().IsMatch(body.Pool))
            errors["pool"] = ["a pool name: lowercase letters, digits, '_' and '-', at most 50 characters"];
        if (body.MaxAgents is < 1 or > 100_000) errors["maxAgents"] = ["must be between 1 and 100000 (omit it for no limit)"];
        if (body.ExpiresInDays is < 1 or > 3650) errors["expiresInDays"] = ["must be between 1 and 3650 days (omit it for a secret that does not expire)"];
        if (body.TokenDays is < 1 or > 3650) errors["tokenDays"] = ["must be between 1 and 3650 days (omit it for tokens that do not expire)"];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var secret = "ale_" + SecretHash.NewSecret();
        var now = clock.GetUtcNow();
        var enrolment = new AgentEnrolment
        {
            Id = Guid.NewGuid(), Name = body.Name.Trim(), Pool = body.Pool!, Prefix = SecretHash.Prefix(secret), Hash = SecretHash.Of(secret),
            CreatedAt = now, ExpiresAt = body.ExpiresInDays is { } d ? now.AddDays(d) : null, MaxAgents = body.MaxAgents, TokenDays = body.TokenDays,
        };
        db.AgentEnrolments.Add(enrolment);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/agent-enrolments/{enrolment.Id}",
            new CreatedEnrolment(enrolment.Id, enrolment.Name, enrolment.Pool, enrolment.Prefix, secret, enrolment.MaxAgents, enrolment.ExpiresAt));
    }

    private static async Task<Ok<List<EnrolmentView>>> List(PlatformDbContext db, CancellationToken ct) =>
        TypedResults.Ok(await db.AgentEnrolments.AsNoTracking().OrderBy(e => e.CreatedAt)
            .Select(e => new EnrolmentView(e.Id, e.Name, e.Pool, e.Prefix, e.CreatedAt, e.ExpiresAt, e.RevokedAt, e.MaxAgents, e.Enrolled, e.TokenDays)).ToListAsync(ct));

    private static async Task<Results<NoContent, ProblemHttpResult>> Revoke(Guid id, PlatformDbContext db, TimeProvider clock, CancellationToken ct, bool revokeTokens = false)
    {
        var now = clock.GetUtcNow();
        int found = await db.AgentEnrolments.Where(e => e.Id == id && e.RevokedAt == null).ExecuteUpdateAsync(u => u.SetProperty(e => e.RevokedAt, now), ct);
        if (found == 0 && !await db.AgentEnrolments.AnyAsync(e => e.Id == id, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Enrolment not found", detail: $"no agent enrolment with id {id}");
        if (revokeTokens)
            await db.AgentTokens.Where(t => t.EnrolmentId == id && t.RevokedAt == null).ExecuteUpdateAsync(u => u.SetProperty(t => t.RevokedAt, now), ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Created<Enrolled>, ValidationProblem, ProblemHttpResult>> Enrol(EnrolRequest body, PlatformDbContext db, TimeProvider clock,
        ILoggerFactory logs, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(body?.Secret) || body.Secret.Length > 200)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["secret"] = ["the enrolment secret is required"] });
        if (body.AgentId is { } wanted && !AgentIdPattern().IsMatch(wanted))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["agentId"] = ["lowercase letters, digits, '.', '_' and '-', at most 63 characters, starting with a letter or digit"] });
        var now = clock.GetUtcNow();
        var hash = SecretHash.Of(body.Secret);
        var log = logs.CreateLogger(typeof(AgentEnrolmentApi));
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // One conditional update takes a place: concurrent enrolments cannot exceed the limit.
        int taken = await db.AgentEnrolments
            .Where(e => e.Hash == hash && e.RevokedAt == null && (e.ExpiresAt == null || e.ExpiresAt > now) && (e.MaxAgents == null || e.Enrolled < e.MaxAgents))
            .ExecuteUpdateAsync(u => u.SetProperty(e => e.Enrolled, e => e.Enrolled + 1), ct);
        if (taken == 0)
        {
            log.LogWarning("Agent enrolment refused: unknown, revoked, expired or exhausted secret (agent id {AgentId})", body.AgentId);
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Enrolment refused",
                detail: "the enrolment secret is unknown, revoked, expired or has enrolled its maximum number of agents");
        }
        var enrolment = await db.AgentEnrolments.AsNoTracking().SingleAsync(e => e.Hash == hash, ct);
        string agentId = body.AgentId ?? $"{enrolment.Pool}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}";
        // An id is one agent's: another may not enrol into an identity that already has a live token.
        if (await db.AgentTokens.Live(now).AnyAsync(t => t.Name == agentId, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Agent id taken",
                detail: $"agent '{agentId}' already has a live token; enrol under another id (or omit agentId to get a fresh one)");
        var secret = "alt_" + SecretHash.NewSecret();
        var token = new AgentToken
        {
            Id = Guid.NewGuid(), Name = agentId, Prefix = SecretHash.Prefix(secret), Hash = SecretHash.Of(secret), CreatedAt = now,
            ExpiresAt = enrolment.TokenDays is { } days ? now.AddDays(days) : null, Pool = enrolment.Pool, EnrolmentId = enrolment.Id,
        };
        db.AgentTokens.Add(token);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        log.LogInformation("Agent {AgentId} enrolled in pool {Pool} with enrolment {Enrolment} ({Enrolled} of {Max})", agentId, enrolment.Pool,
            enrolment.Name, enrolment.Enrolled, enrolment.MaxAgents?.ToString() ?? "unlimited");
        return TypedResults.Created($"/api/agent-tokens/{token.Id}", new Enrolled(agentId, enrolment.Pool, secret, token.ExpiresAt));
    }
}
