using AdapterLab.Contracts.Predictions;
using AdapterLab.Contracts.Suites;
using AdapterLab.Statistics;

namespace AdapterLab.Data.Predictions;

/// <summary>
/// The uncertainty of one metric over a set of runs of one configuration (one per seed): the 95 % interval of the mean
/// over seeds × test examples from their stored predictions where every run has them, else over the seed spread only;
/// the floor on the same examples; whether the mean sits at the floor (judged with its interval) and whether the seeds
/// gave identical results. Used by the leaderboards and by a sweep's confirmation of its winner.
/// </summary>
public sealed record RunSetEstimate(Estimate Estimate, double? Floor, string? FloorName, bool AtFloor, bool IdenticalSeeds)
{
    /// <param name="values">The runs' test values of the metric (those that have it).</param>
    /// <param name="files">The runs' stored predictions (null where a run has none).</param>
    /// <param name="mean">The mean the flag judges (the leaderboard's projection, or the values' mean).</param>
    public static RunSetEstimate Of(IReadOnlyList<double> values, IReadOnlyList<PredictionsFile?> files, string task, string domain, string metric, double mean)
    {
        var table = PredictionTables.OutcomeTable(files, "test", task, domain, metric);
        var estimate = table is not null ? Intervals.Mean(table) : Intervals.SeedsOnly(values);
        if (Estimate.IsProportion(metric)) estimate = estimate.ClampedTo(0, 1);
        var floor = files.Select(f => PredictionTables.Floor(f, "test", task, domain, metric)).FirstOrDefault(f => f is not null);
        bool atFloor = floor is { } f && FloorCheck.AtFloor(estimate with { Value = mean }, f.Value, MetricPolicy.For(metric).HigherIsBetter);
        bool identical = table is not null ? table.SeedsIdentical : values.Count > 1 && values.Distinct().Count() == 1;
        return new RunSetEstimate(estimate, floor?.Value, floor?.Name, atFloor, identical);
    }
}
