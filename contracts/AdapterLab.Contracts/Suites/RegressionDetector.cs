namespace AdapterLab.Contracts.Suites;

/// <summary>A configuration's mean score on one board (domain × metric, test split) in one run.</summary>
public sealed record ConfigurationScore(string ConfigurationHash, string Domain, string Metric, double Mean, double Std, int Seeds, string? Name = null);

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
}

/// <summary>
/// One comparison row; <see cref="Delta"/> is current − reference in the metric's own units. <see cref="Test"/> says how
/// the change was tested (Welch's t over the seeds of both runs) or why it could not be (one seed, or seeds with identical
/// results, whose zero spread is not evidence), and <see cref="PValue"/> its p when tested.
/// </summary>
public sealed record ScoreComparison(
    string ConfigurationHash, string? Name, string Domain, string Metric, double? Current, double? Reference, double? Delta,
    double Tolerance, string Verdict, string? Test = null, double? PValue = null);

/// <summary>
/// Compares per-configuration means with a reference run. A mean that moves the wrong way by more than the metric's
/// tolerance is <see cref="Verdicts.Regressed"/>, the right way by more than the tolerance <see cref="Verdicts.Improved"/> —
/// but only if the change is also significant (Welch's t over both runs' seeds, p &lt; 0.05), so seed noise beyond the
/// tolerance pages nobody. Where no test is possible (one seed on a side, or a side whose seeds gave identical results) the
/// tolerance alone decides and the row says it was untested. Pure: the suite tracker feeds it the previous completed run
/// and the pinned baseline.
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
            bool significant = p is null || p < AdapterLab.Statistics.Verdict.Alpha;
            // A small epsilon keeps a move of exactly the tolerance (after floating-point noise) inside it.
            var verdict = better < -(policy.Tolerance + 1e-12) && significant ? Verdicts.Regressed
                : better > policy.Tolerance + 1e-12 && significant ? Verdicts.Improved
                : Verdicts.Unchanged;
            rows.Add(new(c.ConfigurationHash, c.Name ?? r.Name, c.Domain, c.Metric, c.Mean, r.Mean, delta, policy.Tolerance, verdict, test, p));
        }
        foreach (var r in reference)
            if (seen.Add(Key(r)))
                rows.Add(new(r.ConfigurationHash, r.Name, r.Domain, r.Metric, null, r.Mean, null, policies(r.Metric).Tolerance, Verdicts.Missing));
        return rows;
    }

    /// <summary>Welch's t over the seeds of both runs, or why there is no test (p null: the tolerance alone decides).</summary>
    private static (string Test, double? P) Test(ConfigurationScore current, ConfigurationScore reference)
    {
        if (current.Seeds < 2 || reference.Seeds < 2) return ("untested: one seed", null);
        if (current.Std == 0 || reference.Std == 0) return ("untested: identical results across seeds", null);
        static AdapterLab.Statistics.Estimate E(ConfigurationScore s) => AdapterLab.Statistics.Estimate.FromStandardError(
            s.Mean, s.Std / Math.Sqrt(s.Seeds), s.Seeds - 1, s.Seeds, 0, AdapterLab.Statistics.IntervalMethod.SeedsOnly);
        var d = AdapterLab.Statistics.Comparisons.Unpaired(E(current), E(reference), "Welch t over seeds");
        return (d.Test, d.PValue);
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
