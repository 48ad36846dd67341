using System.Text.Json.Serialization;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Statistics;

namespace AdapterLab.Contracts.Suites;

/// <summary>
/// A configuration's mean score on one board (domain × metric, test split) in one run. <see cref="Predictions"/>, when
/// every seed stored them (accuracy, or a dense metric with per-image parts), are the per-example outcomes by seed that let a change be tested
/// paired by seed and example; they are not part of the stored summary.
/// </summary>
public sealed record ConfigurationScore(string ConfigurationHash, string Domain, string Metric, double Mean, double Std, int Seeds, string? Name = null,
    [property: JsonIgnore] IReadOnlyDictionary<int, PredictionSet>? Predictions = null);

/// <summary>What happened to one configuration's mean between a reference run and this one.</summary>
public static class Verdicts
{
    public const string Regressed = "regressed";
    public const string Improved = "improved";
    public const string Unchanged = "unchanged";
    /// <summary>In this run but not in the reference (new configuration).</summary>
    public const string New = "new";
    /// <summary>In the reference but not in this run (failed or removed).</summary>
    public const string Missing = "missing";
    /// <summary>
    /// Moved beyond the tolerance, but no test was possible (one seed without per-example predictions, or seeds with
    /// identical results): listed for a human, never paged as a regression.
    /// </summary>
    public const string Untested = "untested";
}

/// <summary>
/// One comparison row; <see cref="Delta"/> is current − reference in the metric's own units. <see cref="Test"/> says how
/// the change was tested (paired by seed and example on stored predictions, McNemar for one seed, or Welch's t over the
/// seeds of both runs) or why it could not be (one seed, or seeds with identical results, whose zero spread is not
/// evidence), and <see cref="PValue"/> its p when tested.
/// </summary>
public sealed record ScoreComparison(
    string ConfigurationHash, string? Name, string Domain, string Metric, double? Current, double? Reference, double? Delta,
    double Tolerance, string Verdict, string? Test = null, double? PValue = null);

/// <summary>
/// Compares per-configuration means with a reference run. A mean that moves the wrong way by more than the metric's
/// tolerance is <see cref="Verdicts.Regressed"/>, the right way by more than the tolerance <see cref="Verdicts.Improved"/> —
/// but only if the change is also significant (p &lt; 0.05), so noise pages nobody while a real half-point drop with tight
/// intervals is caught. The test is the strongest the data allows: paired by seed and by example when both runs stored
/// per-example predictions for the same seeds (McNemar for a single seed), seeds × examples unpaired when the seeds
/// differ, else Welch's t over the seeds. A move beyond the tolerance that cannot be tested (one seed without
/// predictions, or identical results across seeds) is <see cref="Verdicts.Untested"/>. Pure: the suite tracker feeds it
/// the previous completed run and the pinned baseline.
/// </summary>
public static class RegressionDetector
{
    public static IReadOnlyList<ScoreComparison> Compare(
        IReadOnlyList<ConfigurationScore> current, IReadOnlyList<ConfigurationScore> reference, Func<string, MetricPolicy>? policies = null)
    {
        policies ??= MetricPolicy.For;
        static (string, string, string) Key(ConfigurationScore s) => (s.ConfigurationHash, s.Domain, s.Metric);
        var byKey = reference.GroupBy(Key).ToDictionary(g => g.Key, g => g.First());
        var seen = new HashSet<(string, string, string)>();
        var rows = new List<ScoreComparison>();
        foreach (var c in current)
        {
            var policy = policies(c.Metric);
            if (!seen.Add(Key(c))) continue;
            if (!byKey.TryGetValue(Key(c), out var r))
            {
                rows.Add(new(c.ConfigurationHash, c.Name, c.Domain, c.Metric, c.Mean, null, null, policy.Tolerance, Verdicts.New));
                continue;
            }
            var delta = c.Mean - r.Mean;
            var better = policy.HigherIsBetter ? delta : -delta;
            var (test, p) = Test(c, r);
            // A small epsilon keeps a move of exactly the tolerance (after floating-point noise) inside it.
            bool beyond = Math.Abs(better) > policy.Tolerance + 1e-12;
            var verdict = !beyond ? Verdicts.Unchanged
                : p is null ? Verdicts.Untested
                : p >= Verdict.Alpha ? Verdicts.Unchanged
                : better < 0 ? Verdicts.Regressed : Verdicts.Improved;
            rows.Add(new(c.ConfigurationHash, c.Name ?? r.Name, c.Domain, c.Metric, c.Mean, r.Mean, delta, policy.Tolerance, verdict, test, p));
        }
        foreach (var r in reference)
            if (seen.Add(Key(r)))
                rows.Add(new(r.ConfigurationHash, r.Name, r.Domain, r.Metric, null, r.Mean, null, policies(r.Metric).Tolerance, Verdicts.Missing));
        return rows;
    }

    /// <summary>The strongest test the data allows (see the type's remarks), or why there is none (p null).</summary>
    private static (string Test, double? P) Test(ConfigurationScore current, ConfigurationScore reference)
    {
        if (PerExample(current, reference) is { } perExample) return (perExample.Test, perExample.PValue);
        if (current.Seeds < 2 || reference.Seeds < 2) return ("untested: one seed", null);
        if (current.Std == 0 || reference.Std == 0) return ("untested: identical results across seeds", null);
        static Estimate E(ConfigurationScore s) => Estimate.FromStandardError(s.Mean, s.Std / Math.Sqrt(s.Seeds), s.Seeds - 1, s.Seeds, 0, IntervalMethod.SeedsOnly);
        var d = Comparisons.Unpaired(E(current), E(reference), "Welch t over seeds");
        return (d.Test, d.PValue);
    }

    /// <summary>
    /// current − reference on per-example outcomes, when every seed of both stored predictions with examples in common:
    /// paired by seed and example when both ran the same seeds, else each side's seeds × examples interval, unpaired.
    /// </summary>
    private static Difference? PerExample(ConfigurationScore current, ConfigurationScore reference)
    {
        if (current.Predictions is not { Count: > 0 } a || reference.Predictions is not { Count: > 0 } b) return null;
        if (a.Count != current.Seeds || b.Count != reference.Seeds) return null;
        var seedsA = a.Keys.Order().ToList();
        var seedsB = b.Keys.Order().ToList();
        var ids = PredictionTables.CommonIds([.. seedsA.Select(s => a[s]), .. seedsB.Select(s => b[s])]);
        if (ids.Count < 2) return null;
        var tableA = new SeedExampleTable(seedsA.Select(s => PredictionTables.Outcomes(a[s], current.Metric, ids)).ToList());
        var tableB = new SeedExampleTable(seedsB.Select(s => PredictionTables.Outcomes(b[s], reference.Metric, ids)).ToList());
        if (seedsA.SequenceEqual(seedsB)) return Comparisons.Paired(tableA, tableB);
        return Comparisons.Unpaired(Intervals.Mean(tableA), Intervals.Mean(tableB), "Welch t, seeds × examples (different seeds)");
    }

    /// <summary>Mean and sample standard deviation (0 for a single value).</summary>
    public static (double Mean, double Std) MeanStd(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) return (double.NaN, 0);
        var mean = values.Average();
        if (values.Count == 1) return (mean, 0);
        var variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1);
        return (mean, Math.Sqrt(variance));
    }
}
