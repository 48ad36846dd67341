namespace AdapterLab.Contracts.Suites;

/// <summary>
/// How a leaderboard metric is judged: which way is better, and how far a mean may move before it counts — the smallest
/// change worth a page in a suite (when it is also significant) and the default margin of an equivalence test. Below half
/// a point for the proportions, so a real half-point drop with tight intervals is caught; noise is kept out by the test,
/// not by a wide tolerance.
/// </summary>
public sealed record MetricPolicy(string Metric, bool HigherIsBetter, double Tolerance)
{
    /// <summary>The metrics the platform ranks by; anything else defaults to higher-is-better with tolerance 0.004.</summary>
    public static readonly IReadOnlyList<MetricPolicy> Catalogue =
    [
        new("accuracy", HigherIsBetter: true, Tolerance: 0.004),
        new("miou", HigherIsBetter: true, Tolerance: 0.004),
        new("rmse", HigherIsBetter: false, Tolerance: 0.005),
        new("angular-error", HigherIsBetter: false, Tolerance: 0.5),
        new("delta1", HigherIsBetter: true, Tolerance: 0.004),
        new("odsf", HigherIsBetter: true, Tolerance: 0.004),
        new("l1", HigherIsBetter: false, Tolerance: 0.002),
        new("reconstruction-mse", HigherIsBetter: false, Tolerance: 0.005),
    ];

    public static MetricPolicy For(string metric) =>
        Catalogue.FirstOrDefault(p => p.Metric == metric) ?? new MetricPolicy(metric, true, 0.004);
}
