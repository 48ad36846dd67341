using AdapterLab.Contracts.Predictions;
using AdapterLab.Data;
using AdapterLab.Data.Predictions;
using AdapterLab.Statistics;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Registry;

/// <summary>
/// A version's metrics as frozen at registration: every test-split final result of the experiment, with a 95 % interval
/// over test examples (<see cref="Intervals.Mean"/> on one seed's per-example outcomes) where its predictions were
/// stored, and the floors (majority class, image-blind priors) evaluated on the same examples.
/// </summary>
public static class ModelLineage
{
    public static async Task<List<ModelMetric>> MetricsAsync(PlatformDbContext db, Guid experimentId, CancellationToken ct)
    {
        var finals = await db.FinalResults.AsNoTracking().Where(r => r.ExperimentId == experimentId && r.Split == "test")
            .OrderBy(r => r.Task).ThenBy(r => r.Domain).ThenBy(r => r.Metric).ToListAsync(ct);
        PredictionsFile? file = null;
        if ((await StoredPredictions.LatestBlobsAsync(db, [experimentId], ct)).GetValueOrDefault(experimentId) is { } blob)
            file = (await StoredPredictions.ReadAsync(db, blob, ct, withProbabilities: false)).File;
        return finals.Select(r => Metric(r.Split, r.Task, r.Domain, r.Metric, r.Value, file)).ToList();
    }

    /// <summary>One metric with its interval and floors when <paramref name="file"/> holds per-example outcomes of it.</summary>
    public static ModelMetric Metric(string split, string task, string domain, string metric, double value, PredictionsFile? file)
    {
        var table = file is null ? null : PredictionTables.OutcomeTable([file], split, task, domain, metric);
        if (table is null) return new ModelMetric(split, task, domain, metric, value, null, null, null, null);
        var estimate = Intervals.Mean(table);
        var ids = PredictionTables.Model(file, split, task, domain, metric)!.ExampleIds;
        var floors = file!.Sets
            .Where(s => s.IsFloor && s.Split == split && s.Task == task && s.Domain == domain && PredictionTables.HasOutcomes(s, metric))
            .ToDictionary(s => s.Predictor, s => PredictionTables.Outcomes(s, metric, ids).Average());
        return new ModelMetric(split, task, domain, metric, value,
            estimate.HasInterval ? estimate.Lower : null, estimate.HasInterval ? estimate.Upper : null, table.Examples,
            floors.Count > 0 ? floors : null);
    }
}
