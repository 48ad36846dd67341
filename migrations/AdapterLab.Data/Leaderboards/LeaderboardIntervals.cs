using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Contracts.Suites;
using AdapterLab.Data.Predictions;
using AdapterLab.Statistics;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Data.Leaderboards;

/// <summary>
/// Keeps each leaderboard entry's uncertainty on write, beside <see cref="LeaderboardProjection"/>: the 95 % interval of
/// its mean (seeds × test examples from the runs' stored predictions where every run has them — accuracy — else the seed
/// spread only), its floor on the same examples, and the at-floor and identical-seeds flags. Computed with the statistics
/// library from the same runs the projection averages (the latest succeeded experiment per seed). Idempotent; call it
/// after the projection refresh, and again when an experiment's predictions arrive after its success.
/// </summary>
public static class LeaderboardIntervals
{
    public static async Task RefreshAsync(PlatformDbContext db, Guid experimentId, CancellationToken ct)
    {
        var of = await db.Experiments.AsNoTracking().Where(e => e.Id == experimentId).Select(e => new { e.ConfigurationHash, e.ProjectId }).SingleOrDefaultAsync(ct);
        if (of is null) return;
        await RefreshConfigurationAsync(db, of.ProjectId, of.ConfigurationHash, ct);
    }

    /// <summary>
    /// Every entry's interval after <see cref="LeaderboardProjection.RebuildAsync"/> (which rewrites the rows without them),
    /// one configuration at a time; returns how many configurations it refreshed.
    /// </summary>
    public static async Task<int> RefreshAllAsync(PlatformDbContext db, CancellationToken ct)
    {
        var configurations = await db.LeaderboardEntries.AsNoTracking().Select(x => new { x.ProjectId, x.ConfigurationHash }).Distinct().ToListAsync(ct);
        foreach (var c in configurations) await RefreshConfigurationAsync(db, c.ProjectId, c.ConfigurationHash, ct);
        return configurations.Count;
    }

    /// <summary>The entries of <paramref name="configuration"/> on the boards of <paramref name="project"/>.</summary>
    public static async Task RefreshConfigurationAsync(PlatformDbContext db, Guid project, string configuration, CancellationToken ct)
    {
        // Untracked: the projection rewrote these rows with raw SQL, so tracked copies from earlier in this context would be stale.
        var entries = await db.LeaderboardEntries.AsNoTracking().Where(x => x.ProjectId == project && x.ConfigurationHash == configuration).ToListAsync(ct);
        if (entries.Count == 0) return;

        var succeeded = await db.Experiments.AsNoTracking()
            .Where(e => e.ProjectId == project && e.ConfigurationHash == configuration && e.Status == ExperimentStatus.Succeeded && e.ArchivedAt == null)
            .Select(e => new { e.Id, e.Seed, e.FinishedAt })
            .ToListAsync(ct);
        var runs = succeeded.GroupBy(e => e.Seed)
            .Select(g => g.OrderByDescending(e => e.FinishedAt ?? DateTimeOffset.MinValue).ThenByDescending(e => e.Id).First())
            .OrderBy(e => e.Seed).ToList();
        var ids = runs.Select(r => r.Id).ToList();
        var results = (await db.FinalResults.AsNoTracking().Where(r => ids.Contains(r.ExperimentId) && r.Split == "test")
            .Select(r => new { r.ExperimentId, r.Task, r.Domain, r.Metric, r.Value }).ToListAsync(ct))
            .ToLookup(r => (r.ExperimentId, r.Task, r.Domain, r.Metric), r => r.Value);
        var predictions = new Dictionary<Guid, PredictionsFile>();
        foreach (var (id, hash) in await StoredPredictions.LatestBlobsAsync(db, ids, ct))
            if ((await StoredPredictions.ReadAsync(db, hash, ct)).File is { } file) predictions[id] = file;

        foreach (var entry in entries)
        {
            var values = runs.Select(r => results[(r.Id, entry.Task, entry.Domain, entry.Metric)].Cast<double?>().FirstOrDefault())
                .Where(v => v is not null).Select(v => v!.Value).ToList();
            var files = runs.Select(r => predictions.GetValueOrDefault(r.Id)).ToList();
            // The entry's mean stays the projection's (the mean of the seeds' results); the flag judges it with its interval.
            var (estimate, floorValue, floorName, atFloor, identical) = RunSetEstimate.Of(values, files, entry.Task, entry.Domain, entry.Metric, entry.Mean);
            double? lower = estimate.HasInterval ? estimate.Lower : null, upper = estimate.HasInterval ? estimate.Upper : null;
            string method = estimate.Method.ToString();
            await db.LeaderboardEntries.Where(x => x.ProjectId == project && x.Board == entry.Board && x.ConfigurationHash == entry.ConfigurationHash)
                .ExecuteUpdateAsync(u => u
                    .SetProperty(x => x.Lower, lower).SetProperty(x => x.Upper, upper).SetProperty(x => x.IntervalMethod, method)
                    .SetProperty(x => x.Floor, floorValue).SetProperty(x => x.FloorName, floorName)
                    .SetProperty(x => x.AtFloor, atFloor).SetProperty(x => x.IdenticalSeeds, identical), ct);
        }
        // A new board version: readers that cache a board's interval bounds (rank ranges) reload them.
        var touched = entries.Select(x => x.Board).Distinct().ToList();
        var now = DateTimeOffset.UtcNow;
        await db.LeaderboardBoards.Where(b => b.ProjectId == project && touched.Contains(b.Board)).ExecuteUpdateAsync(u => u.SetProperty(b => b.UpdatedAt, now), ct);
    }
}
