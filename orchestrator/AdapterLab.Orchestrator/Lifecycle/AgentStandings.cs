using System.Collections.Concurrent;
using AdapterLab.Data;
using AdapterLab.Data.Security;

namespace AdapterLab.Orchestrator.Lifecycle;

/// <summary>
/// Each agent id's standing (<see cref="AgentCredentials.StandingAsync"/>: a live token, the pools it may join), cached
/// for <see cref="Ttl"/> so that checking every report costs about one query per agent per second: a revoked or expired
/// token stops the agent's reports within that time.
/// </summary>
public sealed class AgentStandings(TimeProvider clock)
{
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(1);
    private const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<string, (AgentStanding Standing, DateTimeOffset At)> cache = new(StringComparer.Ordinal);

    public async Task<AgentStanding> GetAsync(PlatformDbContext db, string agentId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (cache.TryGetValue(agentId, out var known) && now - known.At < Ttl) return known.Standing;
        var standing = await AgentCredentials.StandingAsync(db, agentId, now, ct);
        if (cache.Count >= MaxEntries) cache.Clear();
        cache[agentId] = (standing, now);
        return standing;
    }
}
