using AdapterLab.Data;
using AdapterLab.Data.Security;

namespace AdapterLab.Orchestrator.Lifecycle;

/// <summary>
/// Every agent id's standing (<see cref="AgentCredentials.AllStandingsAsync"/>: a live token, the pools it may join), read
/// for the whole fleet in one query at most once per <see cref="Ttl"/>: checking a report costs a dictionary lookup, and a
/// revoked or expired token stops the agent's reports within that time. (Read per agent instead, a thousand agents
/// reporting every 5 s missed a 1 s cache on every message: one query per report — bench perf-fleet.)
/// </summary>
public sealed class AgentStandings(TimeProvider clock)
{
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim refreshing = new(1, 1);
    private volatile Snapshot? current;

    private sealed record Snapshot(Dictionary<string, AgentStanding> Standings, DateTimeOffset At);

    private const int MaxSingles = 10_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (AgentStanding Standing, DateTimeOffset At)> singles = new(StringComparer.Ordinal);

    public async Task<AgentStanding> GetAsync(PlatformDbContext db, string agentId, CancellationToken ct)
    {
        var snapshot = current;
        var now = clock.GetUtcNow();
        if (snapshot is null || now - snapshot.At >= Ttl) snapshot = await RefreshAsync(db, ct);
        if (snapshot.Standings.TryGetValue(agentId, out var standing)) return standing;
        // Not in the snapshot: a token issued after it was read, or no token at all. Asked of the database for this id
        // alone, at most once per Ttl (an unknown sender's every message costs no query).
        if (singles.TryGetValue(agentId, out var known) && now - known.At < Ttl) return known.Standing;
        standing = await AgentCredentials.StandingAsync(db, agentId, now, ct);
        if (singles.Count >= MaxSingles) singles.Clear();
        singles[agentId] = (standing, now);
        return standing;
    }

    private async Task<Snapshot> RefreshAsync(PlatformDbContext db, CancellationToken ct)
    {
        // One refresh at a time; whoever waited for it uses its result.
        await refreshing.WaitAsync(ct);
        try
        {
            var snapshot = current;
            var now = clock.GetUtcNow();
            if (snapshot is null || now - snapshot.At >= Ttl)
                current = snapshot = new Snapshot(await AgentCredentials.AllStandingsAsync(db, now, ct), now);
            return snapshot;
        }
        finally
        {
            refreshing.Release();
        }
    }
}
