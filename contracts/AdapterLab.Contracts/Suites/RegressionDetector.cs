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

/// <summary>One comparison row; <see cref="Delta"/> is current − reference in the metric's own units.</summary>
public sealed record ScoreComparison(
    string ConfigurationHash, string? Name, string Domain, string Metric, double? Current, double? Reference, double? Delta,
    double Tolerance, string Verdict);

/// <summary>
/// Compares per-configuration means with a reference run. A mean that moves the wrong way by more than the metric's
/// tolerance is <see cref="Verdicts.Regressed"/>, the right way by more than the tolerance <see cref="Verdicts.Improved"/>.
/// Pure: the suite tracker feeds it the previous completed run and the pinned baseline.
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
            // A small epsilon keeps a move of exactly the tolerance (after floating-point noise) inside it.
            var verdict = better < -(policy.Tolerance + 1e-12) ? Verdicts.Regressed
                : better > policy.Tolerance + 1e-12 ? Verdicts.Improved
                : Verdicts.Unchanged;
            rows.Add(new(c.ConfigurationHash, c.Name ?? r.Name, c.Domain, c.Metric, c.Mean, r.Mean, delta, policy.Tolerance, verdict));
        }
        foreach (var r in reference)
            if (seen.Add(Key(r)))
                rows.Add(new(r.ConfigurationHash, r.Name, r.Domain, r.Metric, null, r.Mean, null, policies(r.Metric).Tolerance, Verdicts.Missing));
        return rows;
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
