using AdapterLab.Contracts.Specs;
using AdapterLab.Data.Leaderboards;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Data.Configurations;

/// <summary>
/// Recomputes the configuration hash of experiments stored under an older <see cref="ConfigurationIdentity.Version"/>
/// (the science of the spec plus the backbone pinned on its latest attempt), in batches, then rebuilds the leaderboards
/// if anything changed (with their intervals). Run by the migrator after the schema migrations; idempotent (only older rows are touched).
/// </summary>
public static class ConfigurationBackfill
{
    private const int Batch = 1000;

    public static async Task<int> RunAsync(PlatformDbContext db, CancellationToken ct)
    {
        int changed = 0, seen = 0;
        while (true)
        {
            var rows = await db.Experiments.Where(e => e.ConfigurationVersion < ConfigurationIdentity.Version)
                .OrderBy(e => e.Id).Take(Batch)
                .Select(e => new
                {
                    Experiment = e,
                    Backbone = db.Attempts.Where(a => a.ExperimentId == e.Id).OrderByDescending(a => a.Number).Select(a => a.BackboneBlob).FirstOrDefault(),
                })
                .ToListAsync(ct);
            if (rows.Count == 0) break;
            foreach (var row in rows)
            {
                var e = row.Experiment;
                string hash;
                try
                {
                    hash = ConfigurationIdentity.Hash(SpecJson.Deserialize(e.SpecJson), row.Backbone);
                }
                catch (System.Text.Json.JsonException)
                {
                    hash = e.ConfigurationHash; // an unreadable stored spec keeps its old identity
                }
                if (hash != e.ConfigurationHash) { e.ConfigurationHash = hash; changed++; }
                e.ConfigurationVersion = ConfigurationIdentity.Version;
            }
            seen += rows.Count;
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
        }
        if (changed > 0)
        {
            await LeaderboardProjection.RebuildAsync(db, ct);
            await LeaderboardIntervals.RefreshAllAsync(db, ct);
        }
        return changed;
    }
}
