using AdapterLab.Contracts.Suites;
using AdapterLab.Data;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Leaderboards;

/// <summary>
/// Reads boards from <c>leaderboard_entries</c> and <c>leaderboard_boards</c> — summary tables the orchestrator keeps up to
/// date when an experiment succeeds (<see cref="Data.Leaderboards.LeaderboardProjection"/>) — so the board list is a few
/// rows and a board one indexed range read, independent of how many experiments and configurations exist. Shared by the
/// API and the pages.
/// </summary>
public static class LeaderboardQueries
{
    /// <summary>The boards of one project (boards are per project: a ranking never mixes two projects' runs).</summary>
    public static async Task<List<BoardView>> BoardsAsync(PlatformDbContext db, Guid project, CancellationToken ct)
    {
        // leaderboard_boards holds each board's count and last update (kept by the projection): a few rows, not every entry.
        var boards = await db.LeaderboardBoards.AsNoTracking().Where(b => b.ProjectId == project).OrderBy(b => b.Board).ToListAsync(ct);
        var pins = await db.LeaderboardPins.AsNoTracking().Where(p => p.ProjectId == project).ToDictionaryAsync(p => p.Board, p => p.BaselineConfigurationHash, ct);
        return boards.Select(b => View(b, pins.GetValueOrDefault(b.Board))).ToList();
    }

    /// <summary>Configurations a ranking shows unless asked for more (the API allows up to <see cref="MaxLimit"/>).</summary>
    public const int DefaultLimit = 100;
    public const int MaxLimit = 5000;

    /// <param name="boundsCache">The web's cache of boards' interval bounds (null: load them for this read).</param>
    public static async Task<BoardRanking?> RankAsync(PlatformDbContext db, Guid project, string board, CancellationToken ct, int limit = DefaultLimit, LeaderboardBoundsCache? boundsCache = null)
    {
        var summary = await db.LeaderboardBoards.AsNoTracking().SingleOrDefaultAsync(b => b.ProjectId == project && b.Board == board, ct);
        if (summary is null) return null;
        var policy = MetricPolicy.For(summary.Metric);
        var entries = db.LeaderboardEntries.AsNoTracking().Where(e => e.ProjectId == project && e.Board == board);
        // Best first; among equal means the steadier (smaller std), then the cheaper configuration. The (board, mean) index
        // gives the order; the tie-breakers sort only within equal means.
        var ordered = policy.HigherIsBetter ? entries.OrderByDescending(e => e.Mean) : entries.OrderBy(e => e.Mean);
        var rows = await ordered.ThenBy(e => e.Std).ThenBy(e => e.TrainableParameters).ThenBy(e => e.ConfigurationHash).Take(limit).ToListAsync(ct);
        var pin = await db.LeaderboardPins.AsNoTracking().Where(p => p.ProjectId == project && p.Board == board).Select(p => p.BaselineConfigurationHash).FirstOrDefaultAsync(ct);
        var baselineRow = pin is null ? null : rows.FirstOrDefault(r => r.ConfigurationHash == pin)
            ?? await entries.SingleOrDefaultAsync(e => e.ConfigurationHash == pin, ct);
        var bounds = boundsCache is null
            ? await Data.Leaderboards.LeaderboardRankRanges.LoadAsync(db, project, board, ct)
            : await boundsCache.GetAsync(db, project, board, summary.UpdatedAt, summary.Configurations, ct);
        var pareto = ParetoFront(rows.Select(r => (r.ConfigurationHash, (double)r.TrainableParameters, r.Mean)).ToList(), policy.HigherIsBetter);

        (int Above, int Below) Counts(Data.Entities.LeaderboardEntry r) => Data.Leaderboards.LeaderboardRankRanges.Count(bounds, r.Lower, r.Upper);
        RankedEntry Ranked(Data.Entities.LeaderboardEntry r, int rank) => new(rank, r.ConfigurationHash, r.Name, r.Kind, r.Method, r.Preset,
            r.Mean, r.Std, r.Seeds, r.ValidationMean, r.TrainableParameters, r.TotalParameters, r.Steps, r.ImagesPerSecond, r.TrainSeconds,
            r.SuiteRunId, r.Suite, r.LatestExperimentId, r.ConfigurationHash == pin, baselineRow is null ? null : r.Mean - baselineRow.Mean,
            pareto.Contains(r.ConfigurationHash))
        {
            Lower = r.Lower, Upper = r.Upper, IntervalMethod = r.IntervalMethod, Floor = r.Floor, AtFloor = r.AtFloor, IdenticalSeeds = r.IdenticalSeeds,
            RankBest = 1 + (policy.HigherIsBetter ? Counts(r).Above : Counts(r).Below),
            RankWorst = summary.Configurations - (policy.HigherIsBetter ? Counts(r).Below : Counts(r).Above),
        };

        var ranked = rows.Select((r, i) => Ranked(r, i + 1)).ToList();
        var baseline = ranked.FirstOrDefault(r => r.IsBaseline);
        if (baseline is null && baselineRow is not null)
        {
            // A baseline below the rows shown still shows, with its rank: one more than the configurations scoring better.
            var mean = baselineRow.Mean;
            int better = await (policy.HigherIsBetter ? entries.Where(e => e.Mean > mean) : entries.Where(e => e.Mean < mean)).CountAsync(ct);
            baseline = Ranked(baselineRow, better + 1);
        }
        // The board's floor: the floor recorded with its entries (the same test examples for every configuration on a board).
        var floor = rows.FirstOrDefault(r => r.Floor is not null);
        return new BoardRanking(View(summary, pin), baseline, ranked) { Floor = floor?.Floor, FloorName = floor?.FloorName };
    }

    private static BoardView View(Data.Entities.LeaderboardBoard b, string? pin) =>
        new(b.Board, b.Dataset, b.LabelFamily, b.Domain, b.Task, b.Metric, MetricPolicy.For(b.Metric).HigherIsBetter, b.Configurations, pin, b.UpdatedAt);

    /// <summary>Configurations no other beats on both score and trainable parameters (fewer is better).</summary>
    public static HashSet<string> ParetoFront(IReadOnlyList<(string Id, double Parameters, double Score)> points, bool higherIsBetter)
    {
        var front = new HashSet<string>();
        double best = double.NaN;
        foreach (var p in points.OrderBy(p => p.Parameters).ThenBy(p => higherIsBetter ? -p.Score : p.Score))
        {
            bool better = double.IsNaN(best) || (higherIsBetter ? p.Score > best : p.Score < best);
            if (!better) continue;
            front.Add(p.Id);
            best = p.Score;
        }
        return front;
    }
}
