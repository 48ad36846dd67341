using AdapterLab.Contracts.Suites;
using AdapterLab.Data;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Leaderboards;

/// <summary>
/// Reads boards from <c>leaderboard_entries</c> — a summary table the orchestrator keeps up to date when an experiment
/// succeeds (<see cref="Data.Leaderboards.LeaderboardProjection"/>) — so a board is one indexed range read, independent of
/// how many experiments exist. Shared by the API and the pages.
/// </summary>
public static class LeaderboardQueries
{
    public static async Task<List<BoardView>> BoardsAsync(PlatformDbContext db, CancellationToken ct)
    {
        var boards = await db.LeaderboardEntries.AsNoTracking()
            .GroupBy(e => new { e.Board, e.Dataset, e.LabelFamily, e.Domain, e.Task, e.Metric })
            .Select(g => new { g.Key, Count = g.Count(), Updated = g.Max(e => e.UpdatedAt) })
            .OrderBy(b => b.Key.Board).ToListAsync(ct);
        var pins = await db.LeaderboardPins.AsNoTracking().ToDictionaryAsync(p => p.Board, p => p.BaselineConfigurationHash, ct);
        return boards.Select(b => new BoardView(b.Key.Board, b.Key.Dataset, b.Key.LabelFamily, b.Key.Domain, b.Key.Task, b.Key.Metric,
            MetricPolicy.For(b.Key.Metric).HigherIsBetter, b.Count, pins.GetValueOrDefault(b.Key.Board), b.Updated)).ToList();
    }

    public static async Task<BoardRanking?> RankAsync(PlatformDbContext db, string board, CancellationToken ct, int limit = 500)
    {
        var first = await db.LeaderboardEntries.AsNoTracking().Where(e => e.Board == board).FirstOrDefaultAsync(ct);
        if (first is null) return null;
        var policy = MetricPolicy.For(first.Metric);
        var query = db.LeaderboardEntries.AsNoTracking().Where(e => e.Board == board);
        // Best first; among equal means the steadier (smaller std), then the cheaper configuration.
        query = policy.HigherIsBetter ? query.OrderByDescending(e => e.Mean) : query.OrderBy(e => e.Mean);
        var rows = await ((IOrderedQueryable<Data.Entities.LeaderboardEntry>)query).ThenBy(e => e.Std).ThenBy(e => e.TrainableParameters)
            .ThenBy(e => e.ConfigurationHash).Take(limit).ToListAsync(ct);
        var pin = await db.LeaderboardPins.AsNoTracking().Where(p => p.Board == board).Select(p => p.BaselineConfigurationHash).FirstOrDefaultAsync(ct);
        var baselineRow = pin is null ? null : rows.FirstOrDefault(r => r.ConfigurationHash == pin)
            ?? await db.LeaderboardEntries.AsNoTracking().SingleOrDefaultAsync(e => e.Board == board && e.ConfigurationHash == pin, ct);
        var pareto = ParetoFront(rows.Select(r => (r.ConfigurationHash, (double)r.TrainableParameters, r.Mean)).ToList(), policy.HigherIsBetter);
        var ranked = rows.Select((r, i) => new RankedEntry(i + 1, r.ConfigurationHash, r.Name, r.Kind, r.Method, r.Preset, r.Mean, r.Std, r.Seeds,
            r.ValidationMean, r.TrainableParameters, r.TotalParameters, r.Steps, r.ImagesPerSecond, r.TrainSeconds, r.SuiteRunId, r.Suite,
            r.LatestExperimentId, r.ConfigurationHash == pin, baselineRow is null ? null : r.Mean - baselineRow.Mean, pareto.Contains(r.ConfigurationHash))).ToList();
        var view = new BoardView(first.Board, first.Dataset, first.LabelFamily, first.Domain, first.Task, first.Metric, policy.HigherIsBetter,
            await db.LeaderboardEntries.CountAsync(e => e.Board == board, ct), pin, rows.Count == 0 ? first.UpdatedAt : rows.Max(r => r.UpdatedAt));
        return new BoardRanking(view, ranked.FirstOrDefault(r => r.IsBaseline), ranked);
    }

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
