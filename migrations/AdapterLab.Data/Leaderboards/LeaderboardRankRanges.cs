using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AdapterLab.Data.Leaderboards;

/// <summary>
/// Ranks as ranges: for a configuration on a board, how many entries lie wholly above its interval and how many wholly
/// below it (non-overlapping 95 % intervals: a conservative test of a difference). A configuration then ranks somewhere
/// in [1 + entries clearly better, n − entries clearly worse]. Computed from the board's interval bounds, each sorted
/// once (two index-only scans, <see cref="LoadAsync"/>), by binary search per entry (<see cref="Count"/>): a page of
/// 100 entries on a board of 33,000 costs 200 searches, not 200 range counts over the board. Entries without an
/// interval are never counted as clearly different.
/// </summary>
public static class LeaderboardRankRanges
{
    /// <summary>A board's interval bounds, each ascending.</summary>
    public sealed record Bounds(double[] Lowers, double[] Uppers);

    public static async Task<Bounds> LoadAsync(PlatformDbContext db, Guid project, string board, CancellationToken ct)
    {
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        if (conn.State != System.Data.ConnectionState.Open) await conn.OpenAsync(ct);
        async Task<double[]> Column(string sql)
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            cmd.Parameters.AddWithValue("b", board);
            cmd.Parameters.AddWithValue("p", project);
            var values = new List<double>();
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) values.Add(reader.GetDouble(0));
            return values.ToArray();
        }
        // Index-only scans of (project, board, lower) and (project, board, upper), already in order.
        var lowers = await Column("SELECT lower FROM leaderboard_entries WHERE project_id = @p AND board = @b AND lower IS NOT NULL ORDER BY lower");
        var uppers = await Column("SELECT upper FROM leaderboard_entries WHERE project_id = @p AND board = @b AND upper IS NOT NULL ORDER BY upper");
        return new Bounds(lowers, uppers);
    }

    /// <summary>Entries whose lower bound lies above <paramref name="upper"/>, and whose upper bound lies below <paramref name="lower"/>.</summary>
    public static (int Above, int Below) Count(Bounds bounds, double? lower, double? upper)
    {
        if (lower is not { } l || upper is not { } u) return (0, 0);
        return (bounds.Lowers.Length - FirstGreater(bounds.Lowers, u), FirstAtLeast(bounds.Uppers, l));
    }

    /// <summary>Index of the first value &gt; x in an ascending array (its length when none).</summary>
    private static int FirstGreater(double[] sorted, double x)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] > x) hi = mid; else lo = mid + 1;
        }
        return lo;
    }

    /// <summary>Index of the first value ≥ x in an ascending array (its length when none).</summary>
    private static int FirstAtLeast(double[] sorted, double x)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] >= x) hi = mid; else lo = mid + 1;
        }
        return lo;
    }
}
