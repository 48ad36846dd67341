using System.Security.Claims;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.ApiKeys;

/// <summary>
/// <c>/api/keys</c> (admin): create (the plaintext is in the response once, only its sha256 is stored — <see cref="SecretHash"/>),
/// list (prefix only) and revoke API keys. Scopes are those of <see cref="Scopes.All"/>.
/// </summary>
public static class ApiKeysApi
{
    public static IEndpointRouteBuilder MapApiKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/keys").WithTags("API keys")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Scopes.Admin);
        api.MapPost("/", Create).WithName("CreateApiKey").WithSummary("Create an API key; the response holds the key itself, shown this once")
            .ProducesValidationProblem();
        api.MapGet("/", List).WithName("ListApiKeys").WithSummary("API keys: name, prefix, scopes, created, last used, revoked");
        api.MapDelete("/{id:guid}", Revoke).WithName("RevokeApiKey").WithSummary("Revoke an API key (it stops working at once)")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    /// <summary>Body of <c>POST /api/keys</c>.</summary>
    public sealed record CreateKeyRequest(string Name, IReadOnlyList<string> Scopes);

    /// <summary>A key as listed: never the secret.</summary>
    public sealed record ApiKeyView(Guid Id, string Name, string Prefix, IReadOnlyList<string> Scopes, string? OwnerUserId,
        DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

    /// <summary>The answer to a creation: <see cref="Key"/> is the plaintext, not retrievable later.</summary>
    public sealed record CreatedApiKey(Guid Id, string Name, string Prefix, IReadOnlyList<string> Scopes, string Key);

    private static async Task<Results<Created<CreatedApiKey>, ValidationProblem>> Create(
        CreateKeyRequest body, ClaimsPrincipal user, PlatformDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 100) errors["name"] = ["give a name of 1 to 100 characters"];
        var scopes = (body.Scopes ?? []).Distinct().ToList();
        if (scopes.Count == 0) errors["scopes"] = [$"give at least one of {string.Join(", ", Scopes.All)}"];
        var unknown = scopes.Except(Scopes.All).ToList();
        if (unknown.Count > 0) errors["scopes"] = [$"unknown scope(s) {string.Join(", ", unknown)}; known: {string.Join(", ", Scopes.All)}"];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var secret = "alk_" + SecretHash.NewSecret();
        var key = new ApiKey
        {
            Id = Guid.NewGuid(), Name = body.Name.Trim(), Prefix = SecretHash.Prefix(secret), Hash = SecretHash.Of(secret),
            Scopes = [.. scopes], OwnerUserId = user.FindFirstValue(ClaimTypes.NameIdentifier), CreatedAt = clock.GetUtcNow(),
        };
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/keys/{key.Id}", new CreatedApiKey(key.Id, key.Name, key.Prefix, key.Scopes, secret));
    }

    private static async Task<Ok<List<ApiKeyView>>> List(PlatformDbContext db, CancellationToken ct) =>
        TypedResults.Ok(await db.ApiKeys.AsNoTracking().OrderBy(k => k.CreatedAt)
            .Select(k => new ApiKeyView(k.Id, k.Name, k.Prefix, k.Scopes, k.OwnerUserId, k.CreatedAt, k.LastUsedAt, k.RevokedAt))
            .ToListAsync(ct));

    private static async Task<Results<NoContent, ProblemHttpResult>> Revoke(Guid id, PlatformDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var key = await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == id, ct);
        if (key is null) return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "API key not found", detail: $"no API key with id {id}");
        key.RevokedAt ??= clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }
}
