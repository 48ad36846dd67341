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
    private readonly ConcurrentDictionary<(Guid Project, string Board), Entry> boards = new();
    private long clock;

    public async Task<LeaderboardRankRanges.Bounds> GetAsync(PlatformDbContext db, Guid project, string board, DateTimeOffset version, int configurations, CancellationToken ct)
    {
        if (boards.TryGetValue((project, board), out var hit) && hit.Version == version && hit.Configurations == configurations) return hit.Bounds;
        var bounds = await LeaderboardRankRanges.LoadAsync(db, project, board, ct);
        if (boards.Count >= MaxBoards)
            foreach (var old in boards.OrderBy(kv => kv.Value.Loaded).Take(MaxBoards / 4).ToList()) boards.TryRemove(old.Key, out _);
        boards[(project, board)] = new Entry(version, configurations, bounds, Interlocked.Increment(ref clock));
        return bounds;
    }
}
