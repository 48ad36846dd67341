using System.Globalization;
using AdapterLab.Statistics;

namespace AdapterLab.Bench.Runner;

/// <summary>
/// One configuration's per-seed results in a report, judged with the platform's statistics library (the same as the
/// compare page): a 95 % t interval over the seeds, and comparisons that are paired by seed, never "2σ of three numbers".
/// Identical results across seeds are not zero variance: such a comparison is untestable and says why.
/// These report generators only have per-seed results; intervals that also include test-set sampling need the
/// experiments' stored predictions (the compare API computes them).
/// </summary>
public sealed record SeedResults(IReadOnlyList<double> Values)
{
    public static SeedResults Of(IEnumerable<double> values) => new(values.Where(double.IsFinite).ToList());

    public Estimate Estimate => Intervals.SeedsOnly(Values);
    public double Mean => Values.Count == 0 ? double.NaN : Values.Average();
    public int N => Values.Count;

    /// <summary>Two or more seeds with exactly the same result: a constant prediction, or a seed that changes nothing.</summary>
    public bool Identical => Values.Count > 1 && Values.Distinct().Count() == 1;

    /// <summary>a − b, paired by seed position (the reports run the same seeds for every configuration); null when untestable.</summary>
    public static Difference? Compare(SeedResults a, SeedResults b)
    {
        if (a.N < 2 || b.N < 2 || a.Identical || b.Identical) return null;
        return Comparisons.SeedsOnly(a.Values, b.Values, paired: a.N == b.N);
    }

    /// <summary>The verdict of a − b in words, from the library (p unadjusted unless <paramref name="adjustedP"/> is given).</summary>
    public static string Verdict(SeedResults a, SeedResults b, bool higherIsBetter = true, double? adjustedP = null)
    {
        if (a.N < 2 || b.N < 2) return "untestable: one seed";
        if (a.Identical || b.Identical) return "untestable: identical results across seeds (zero spread is not evidence)";
        var d = Compare(a, b)!;
        return AdapterLab.Statistics.Verdict.For(d, adjustedP ?? d.PValue, higherIsBetter, 0).Words + "; seed spread only";
    }

    /// <summary>A signed difference at the reports' precision; one that rounds to zero prints as 0.000 (not "-+0.000").</summary>
    public static string Signed(double difference) =>
        Math.Abs(difference) < 0.0005 ? "0.000" : difference.ToString("+0.000;-0.000", CultureInfo.InvariantCulture);

    public override string ToString()
    {
        var e = Estimate;
        string mean = Mean.ToString("0.000", CultureInfo.InvariantCulture);
        if (Identical) return $"{mean} (identical on {N} seeds)";
        return e.HasInterval
            ? $"{mean} [{e.Lower.ToString("0.000", CultureInfo.InvariantCulture)}, {e.Upper.ToString("0.000", CultureInfo.InvariantCulture)}]"
            : mean;
    }
}
