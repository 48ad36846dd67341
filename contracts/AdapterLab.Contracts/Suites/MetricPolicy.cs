namespace AdapterLab.Contracts.Suites;

/// <summary>How a leaderboard metric is judged: which way is better, and how far a mean may move before it counts.</summary>
public sealed record MetricPolicy(string Metric, bool HigherIsBetter, double Tolerance)
{
    /// <summary>The metrics the platform ranks by; anything else defaults to higher-is-better with tolerance 0.02.</summary>
    public static readonly IReadOnlyList<MetricPolicy> Catalogue =
    [
        new("accuracy", HigherIsBetter: true, Tolerance: 0.02),
        new("miou", HigherIsBetter: true, Tolerance: 0.02),
        new("rmse", HigherIsBetter: false, Tolerance: 0.01),
        new("angular-error", HigherIsBetter: false, Tolerance: 1.0),
        new("odsf", HigherIsBetter: true, Tolerance: 0.02),
    ];

    public static MetricPolicy For(string metric) =>
        Catalogue.FirstOrDefault(p => p.Metric == metric) ?? new MetricPolicy(metric, true, 0.02);
}
