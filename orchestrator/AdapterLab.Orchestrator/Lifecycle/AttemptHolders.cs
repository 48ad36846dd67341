using System.Collections.Concurrent;
using AdapterLab.Data;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Orchestrator.Lifecycle;

/// <summary>
/// Which agent holds each attempt (<c>attempts.agent_id</c>, fixed when the attempt is dispatched: a new placement is a
/// new attempt number), cached so that checking the sender of every progress report costs no query. Bounded.
/// </summary>
public sealed class AttemptHolders
{
    private const int MaxEntries = 100_000;
    private readonly ConcurrentDictionary<(Guid, int), string> holders = new();

    public async Task<string?> GetAsync(PlatformDbContext db, Guid experimentId, int attemptNumber, CancellationToken ct)
    {
        if (holders.TryGetValue((experimentId, attemptNumber), out var agent)) return agent;
        agent = await db.Attempts.AsNoTracking().Where(a => a.ExperimentId == experimentId && a.Number == attemptNumber)
            .Select(a => a.AgentId).SingleOrDefaultAsync(ct);
        if (agent is null) return null; // not dispatched (yet): never cached
        if (holders.Count >= MaxEntries) holders.Clear();
        holders[(experimentId, attemptNumber)] = agent;
        return agent;
    }
}
