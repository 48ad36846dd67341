using System.Globalization;
using AdapterLab.Statistics;

namespace AdapterLab.Bench.Runner;

/// <summary>How the reports print numbers: estimates with their 95 % interval, signed differences, plain values; and the shifted tables their margin tests use.</summary>
public static class ReportFormat
{
    /// <summary>"0.589 [0.583, 0.594]", or the value alone without an interval, or "n/a".</summary>
    public static string Ci(Estimate? e) => e is null ? "n/a"
        : e.HasInterval ? $"{Value(e.Value)} [{Value(e.Lower)}, {Value(e.Upper)}]"
        : Value(e.Value);

    /// <summary>"+0.124 [+0.102, +0.147]" for a − b, or "n/a".</summary>
    public static string DiffCi(Difference? d) => d is null ? "n/a"
        : $"{SeedResults.Signed(d.Estimate.Value)} [{SeedResults.Signed(d.Estimate.Lower)}, {SeedResults.Signed(d.Estimate.Upper)}]";

    /// <summary>A value at three decimals, or "n/a" when missing or not finite.</summary>
    public static string Fmt(double? v) => v is { } x && double.IsFinite(x) ? Value(x) : "n/a";

    /// <summary>
    /// Every outcome moved by <paramref name="by"/>: a margin claim "a beats b by at least m" is the plain claim on a's
    /// outcomes shifted by −m.
    /// </summary>
    public static SeedExampleTable Shift(SeedExampleTable t, double by) => new(t.Rows.Select(r => r.Select(v => v + by).ToArray()).ToList());

    private static string Value(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);
}
