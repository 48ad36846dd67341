using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Web.Auth;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.ApiKeys;

/// <summary>A key as listed: never the secret.</summary>
public sealed record ApiKeyView(Guid Id, string Name, string Prefix, IReadOnlyList<string> Scopes, string? OwnerUserId,
    DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt)
{
    /// <summary>The one project the key acts in (null: a platform key).</summary>
    public string? Project { get; init; }
}

/// <summary>The answer to a creation: <see cref="Key"/> is the plaintext, not retrievable later.</summary>
public sealed record CreatedApiKey(Guid Id, string Name, string Prefix, IReadOnlyList<string> Scopes, string Key)
{
    public string? Project { get; init; }
}

/// <summary>
/// Creates, lists and revokes API keys — for the admin API (any key), and for each user's own keys (the account API and
/// page): a user's key belongs to them (<see cref="ApiKey.OwnerUserId"/>), acts as them, may hold only scopes their role
/// grants, and dies with their account's disabling. The plaintext is returned once; only its sha256 is stored.
/// </summary>
public sealed class ApiKeyIssuer(PlatformDbContext db, TimeProvider clock)
{
    public const int MaxNameLength = 100;

    /// <summary>
    /// Creates a key; <paramref name="allowedScopes"/> bounds what may be asked for. A key with a <paramref name="project"/>
    /// acts in that project only and may not hold the platform scopes (<c>admin</c>, <c>models:serve</c>); a key without one
    /// is a platform key and must hold one of them. Errors name the field.
    /// </summary>
    public async Task<(CreatedApiKey? Key, Dictionary<string, string[]> Errors)> CreateAsync(
        string? name, IReadOnlyList<string>? scopes, string? ownerUserId, IReadOnlyCollection<string> allowedScopes, Projects.ProjectSummary? project,
        CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > MaxNameLength || name.Any(char.IsControl))
            errors["name"] = [$"give a name of 1 to {MaxNameLength} printable characters"];
        var wanted = (scopes ?? []).Distinct().ToList();
        var unknown = wanted.Except(Scopes.All).ToList();
        var beyond = wanted.Except(unknown).Where(s => !allowedScopes.Contains(s) && !allowedScopes.Contains(Scopes.Admin)).ToList();
        if (wanted.Count == 0) errors["scopes"] = [$"give at least one of {string.Join(", ", allowedScopes)}"];
        else if (unknown.Count > 0) errors["scopes"] = [$"unknown scope(s) {string.Join(", ", unknown)}; known: {string.Join(", ", Scopes.All)}"];
        else if (beyond.Count > 0) errors["scopes"] = [$"your role does not grant {string.Join(", ", beyond)}; you may give {string.Join(", ", allowedScopes)}"];
        bool platformScopes = wanted.Contains(Scopes.Admin) || wanted.Contains(Scopes.ModelsServe);
        if (errors.Count == 0 && project is not null && platformScopes)
            errors["scopes"] = [$"a key of project '{project.Name}' may hold read, experiments:write and suites:trigger; admin and models:serve are platform scopes (create the key without a project)"];
        else if (errors.Count == 0 && project is null && !platformScopes)
            errors["project"] = ["name the project the key acts in"];
        if (errors.Count > 0) return (null, errors);

        var secret = "alk_" + SecretHash.NewSecret();
        var key = new ApiKey
        {
            Id = Guid.NewGuid(), Name = name!.Trim(), Prefix = SecretHash.Prefix(secret), Hash = SecretHash.Of(secret),
            Scopes = [.. wanted], OwnerUserId = ownerUserId, CreatedAt = clock.GetUtcNow(), ProjectId = project?.Id,
        };
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(ct);
        return (new CreatedApiKey(key.Id, key.Name, key.Prefix, key.Scopes, secret) { Project = project?.Name }, errors);
    }

    /// <summary>Every key (<paramref name="ownerUserId"/> null) or one user's keys, oldest first.</summary>
    public Task<List<ApiKeyView>> ListAsync(string? ownerUserId, CancellationToken ct) =>
        db.ApiKeys.AsNoTracking()
            .Where(k => ownerUserId == null || k.OwnerUserId == ownerUserId)
            .OrderBy(k => k.CreatedAt)
            .Select(k => new ApiKeyView(k.Id, k.Name, k.Prefix, k.Scopes, k.OwnerUserId, k.CreatedAt, k.LastUsedAt, k.RevokedAt)
            {
                Project = db.Projects.Where(p => p.Id == k.ProjectId).Select(p => p.Name).FirstOrDefault(),
            })
            .ToListAsync(ct);

    /// <summary>Revokes a key (any, or only <paramref name="ownerUserId"/>'s); false when there is no such key for the caller.</summary>
    public async Task<bool> RevokeAsync(Guid id, string? ownerUserId, CancellationToken ct)
    {
        var key = await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == id && (ownerUserId == null || k.OwnerUserId == ownerUserId), ct);
        if (key is null) return false;
        key.RevokedAt ??= clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return true;
    }
}
