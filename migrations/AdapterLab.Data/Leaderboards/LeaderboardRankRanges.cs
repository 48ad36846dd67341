using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Data.Leaderboards;

/// <summary>
/// Ranks as ranges: for each given configuration on a board, how many entries lie wholly above its interval and how many
/// wholly below it (non-overlapping 95 % intervals: a conservative test of a difference). A configuration then ranks
/// somewhere in [1 + entries clearly better, n − entries clearly worse]. Two index range counts per entry
/// ((board, lower) and (board, upper)); entries without an interval are never counted as clearly different.
/// </summary>
public static class LeaderboardRankRanges
{
    /// <summary>Columns come back in snake_case (the context's naming convention maps them).</summary>
    public sealed record Counts(string ConfigurationHash, int Above, int Below);

    public static async Task<Dictionary<string, Counts>> CountAsync(PlatformDbContext db, string board, IReadOnlyList<string> configurations, CancellationToken ct)
    {
        if (configurations.Count == 0) return [];
        var rows = await db.Database.SqlQueryRaw<Counts>("""
            SELECT e.configuration_hash,
                   (SELECT count(*)::int FROM leaderboard_entries o WHERE o.board = e.board AND o.lower > e.upper) AS above,
                   (SELECT count(*)::int FROM leaderboard_entries o WHERE o.board = e.board AND o.upper < e.lower) AS below
            FROM leaderboard_entries e
            WHERE e.board = {0} AND e.configuration_hash = ANY({1})
            """, board, configurations.ToArray()).ToListAsync(ct);
        return rows.ToDictionary(r => r.ConfigurationHash);
    }
}
