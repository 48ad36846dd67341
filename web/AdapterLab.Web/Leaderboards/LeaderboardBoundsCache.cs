using System.Collections.Concurrent;
using AdapterLab.Data;
using AdapterLab.Data.Leaderboards;

namespace AdapterLab.Web.Leaderboards;

/// <summary>
/// Each board's sorted interval bounds for rank ranges, kept per board version: every writer of a board's entries
/// (the projection, the interval refresh) moves <c>leaderboard_boards.updated_at</c>, so a read whose board row shows
/// the cached version and entry count reuses the bounds, and the first read after a change reloads them (two
/// index-only scans). Bounded: the least recently loaded boards go first.
/// </summary>
public sealed class LeaderboardBoundsCache
{
    private const int MaxBoards = 512;
    private sealed record Entry(DateTimeOffset Version, int Configurations, LeaderboardRankRanges.Bounds Bounds, long Loaded);
    private readonly ConcurrentDictionary<string, Entry> boards = new(StringComparer.Ordinal);
    private long clock;

    public async Task<LeaderboardRankRanges.Bounds> GetAsync(PlatformDbContext db, string board, DateTimeOffset version, int configurations, CancellationToken ct)
    {
        if (boards.TryGetValue(board, out var hit) && hit.Version == version && hit.Configurations == configurations) return hit.Bounds;
        var bounds = await LeaderboardRankRanges.LoadAsync(db, board, ct);
        if (boards.Count >= MaxBoards)
            foreach (var old in boards.OrderBy(kv => kv.Value.Loaded).Take(MaxBoards / 4).ToList()) boards.TryRemove(old.Key, out _);
        boards[board] = new Entry(version, configurations, bounds, Interlocked.Increment(ref clock));
        return bounds;
    }
}
