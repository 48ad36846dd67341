using AdapterLab.Contracts.Lifecycle;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Data.Fleet;

/// <summary>
/// The fleet's state as the metrics endpoints report it, read in one short pass: queue depth and oldest wait per pool,
/// experiments by status, live attempts by status, how long ago each agent was heard from, the outbox's backlog and
/// the blob store's size. Counts over indexed columns; cheap enough to refresh every few seconds at 100,000 experiments.
/// </summary>
public sealed record FleetSnapshot(
    DateTimeOffset At,
    IReadOnlyList<FleetSnapshot.PoolQueue> Queues,
    IReadOnlyDictionary<ExperimentStatus, long> ExperimentsByStatus,
    IReadOnlyDictionary<ExperimentStatus, long> LiveAttemptsByStatus,
    IReadOnlyList<FleetSnapshot.AgentSeen> Agents,
    long OutboxPending,
    TimeSpan OutboxOldestPending,
    long BlobStoreBytes)
{
    /// <summary>Queued experiments of one pool and how long the oldest has waited since submission.</summary>
    public sealed record PoolQueue(string Pool, long Depth, TimeSpan OldestWait);

    public sealed record AgentSeen(string Id, string Pool, TimeSpan Since, bool Stopped, bool Quarantined);

    public static async Task<FleetSnapshot> ReadAsync(PlatformDbContext db, DateTimeOffset now, CancellationToken ct)
    {
        var queues = await db.Experiments.AsNoTracking()
            .Where(e => e.Status == ExperimentStatus.Queued)
            .GroupBy(e => e.Pool)
            .Select(g => new { Pool = g.Key, Depth = g.LongCount(), Oldest = g.Min(e => e.SubmittedAt) })
            .ToListAsync(ct);
        var byStatus = await db.Experiments.AsNoTracking()
            .GroupBy(e => e.Status).Select(g => new { Status = g.Key, Count = g.LongCount() })
            .ToDictionaryAsync(x => x.Status, x => x.Count, ct);
        var live = await db.Attempts.AsNoTracking()
            .Where(a => a.Status == ExperimentStatus.Dispatched || a.Status == ExperimentStatus.Running)
            .GroupBy(a => a.Status).Select(g => new { Status = g.Key, Count = g.LongCount() })
            .ToDictionaryAsync(x => x.Status, x => x.Count, ct);
        var agents = await db.Agents.AsNoTracking()
            .Select(a => new { a.Id, a.Pool, a.LastSeenAt, a.Stopped, a.Quarantined })
            .ToListAsync(ct);
        var outbox = await db.Outbox.AsNoTracking()
            .Where(m => m.SentAt == null)
            .GroupBy(_ => 1)
            .Select(g => new { Count = g.LongCount(), Oldest = g.Min(m => m.CreatedAt) })
            .FirstOrDefaultAsync(ct);
        long blobBytes = await db.Blobs.AsNoTracking().SumAsync(b => (long?)b.SizeBytes, ct) ?? 0;

        foreach (var s in Enum.GetValues<ExperimentStatus>()) byStatus.TryAdd(s, 0);
        live.TryAdd(ExperimentStatus.Dispatched, 0);
        live.TryAdd(ExperimentStatus.Running, 0);
        return new FleetSnapshot(
            now,
            queues.Select(q => new PoolQueue(q.Pool, q.Depth, Max0(now - q.Oldest))).OrderBy(q => q.Pool, StringComparer.Ordinal).ToList(),
            byStatus,
            live,
            agents.Select(a => new AgentSeen(a.Id, a.Pool, Max0(now - a.LastSeenAt), a.Stopped, a.Quarantined)).OrderBy(a => a.Id, StringComparer.Ordinal).ToList(),
            outbox?.Count ?? 0,
            outbox is null ? TimeSpan.Zero : Max0(now - outbox.Oldest),
            blobBytes);
    }

    private static TimeSpan Max0(TimeSpan t) => t < TimeSpan.Zero ? TimeSpan.Zero : t;
}
