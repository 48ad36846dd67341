using AdapterLab.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Data.Security;

/// <summary>
/// Agent tokens as credentials: a token is live while it is neither revoked nor expired. An agent's token is also its
/// broker password (the web answers RabbitMQ's HTTP auth backend with it), so an agent id has broker access and its reports
/// are accepted only while it has a live token, and it may announce itself only in the pools its live tokens allow.
/// </summary>
public static class AgentCredentials
{
    /// <summary>
    /// The tokens live at <paramref name="now"/>: neither revoked nor expired — the one definition every check uses (use
    /// it as a captured query inside another query's subquery, e.g. the dispatcher's agent filter).
    /// </summary>
    public static IQueryable<AgentToken> Live(this IQueryable<AgentToken> tokens, DateTimeOffset now) =>
        tokens.Where(t => t.RevokedAt == null && (t.ExpiresAt == null || t.ExpiresAt > now));

    /// <summary>The live token with this hash, or null.</summary>
    public static Task<AgentToken?> LiveTokenAsync(PlatformDbContext db, string hash, DateTimeOffset now, CancellationToken ct) =>
        db.AgentTokens.AsNoTracking().Live(now).Where(t => t.Hash == hash).SingleOrDefaultAsync(ct);

    /// <summary>
    /// What an agent id may do now: whether it has a live token, and the pools it may announce itself in (null: any pool —
    /// it holds a token not bound to a pool).
    /// </summary>
    public static async Task<AgentStanding> StandingAsync(PlatformDbContext db, string agentId, DateTimeOffset now, CancellationToken ct)
    {
        var pools = await db.AgentTokens.AsNoTracking().Live(now).Where(t => t.Name == agentId).Select(t => t.Pool).ToListAsync(ct);
        if (pools.Count == 0) return AgentStanding.None;
        return new AgentStanding(true, pools.Any(p => p is null) ? null : pools.Select(p => p!).Distinct().ToArray());
    }

    /// <summary>Every agent id's standing at once (ids without a live token are absent): one query for a whole fleet.</summary>
    public static async Task<Dictionary<string, AgentStanding>> AllStandingsAsync(PlatformDbContext db, DateTimeOffset now, CancellationToken ct)
    {
        var live = await db.AgentTokens.AsNoTracking().Live(now).Select(t => new { t.Name, t.Pool }).ToListAsync(ct);
        return live.GroupBy(t => t.Name, StringComparer.Ordinal).ToDictionary(g => g.Key,
            g => new AgentStanding(true, g.Any(t => t.Pool is null) ? null : g.Select(t => t.Pool!).Distinct().ToArray()), StringComparer.Ordinal);
    }

    /// <summary>Records a token's use, at most once a minute (one conditional UPDATE).</summary>
    public static async Task TouchAsync(PlatformDbContext db, AgentToken token, DateTimeOffset now, CancellationToken ct)
    {
        if (token.LastUsedAt is not null && token.LastUsedAt >= now.AddMinutes(-1)) return;
        var stale = now.AddMinutes(-1);
        await db.AgentTokens.Where(t => t.Id == token.Id && (t.LastUsedAt == null || t.LastUsedAt < stale))
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.LastUsedAt, now), ct);
    }
}

/// <summary>An agent id's standing: <see cref="Live"/> while it has a live token; <see cref="Pools"/> null means any pool.</summary>
public sealed record AgentStanding(bool Live, IReadOnlyList<string>? Pools)
{
    public static readonly AgentStanding None = new(false, []);

    public bool MayJoin(string pool) => Live && (Pools is null || Pools.Contains(pool));
}
