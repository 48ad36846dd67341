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

    /// <summary>The claim "a is better than b" for <see cref="Findings.Judge"/> (untestable with one seed or identical seeds, and says so).</summary>
    public static Claim Better(string text, SeedResults a, SeedResults b, bool higherIsBetter = true, double margin = 0) =>
        new(text, ClaimKind.Better, Compare(a, b), higherIsBetter, margin, Untestable(a, b));

    /// <summary>The claim "a and b are equivalent within ±margin".</summary>
    public static Claim Equivalent(string text, SeedResults a, SeedResults b, double margin) =>
        new(text, ClaimKind.Equivalent, Compare(a, b), Margin: margin, Untestable: Untestable(a, b));

    private static string? Untestable(SeedResults a, SeedResults b) =>
        a.N < 2 || b.N < 2 ? "one seed" : a.Identical || b.Identical ? "identical results across seeds (zero spread is not evidence)" : null;

    /// <summary>
    /// The floor gate: every row's mean beats its floor (e.g. the majority-class rate on the same test examples, reported by
    /// the trainer as <c>metric@floor</c>) beyond the row's interval. A method at its floor cannot be ranked.
    /// </summary>
    public static Gate FloorGate(string name, IReadOnlyList<(string Label, SeedResults Result, double? Floor)> rows, bool higherIsBetter = true)
    {
        var missing = rows.Where(r => r.Floor is null).Select(r => r.Label).ToList();
        if (missing.Count > 0) return new Gate(name, false, $"no floor reported for {string.Join(", ", missing.Take(4))}");
        var atFloor = rows.Where(r => FloorCheck.AtFloor(r.Result.Estimate, r.Floor!.Value, higherIsBetter)).ToList();
        return atFloor.Count == 0
            ? new Gate(name, true, $"all {rows.Count} above their floors (largest floor {rows.Max(r => r.Floor!.Value).ToString("0.000", CultureInfo.InvariantCulture)})")
            : new Gate(name, false, $"{atFloor.Count} of {rows.Count} not above their floor: " +
                string.Join(", ", atFloor.Take(6).Select(r => $"{r.Label} {r.Result.Mean.ToString("0.000", CultureInfo.InvariantCulture)} vs {r.Floor!.Value.ToString("0.000", CultureInfo.InvariantCulture)}")));
    }

    /// <summary>The seeds gate: no row's seeds gave identical results (a constant prediction, or a seed that changes nothing).</summary>
    public static Gate SeedsDifferGate(IReadOnlyList<(string Label, SeedResults Result)> rows)
    {
        var identical = rows.Where(r => r.Result.Identical).Select(r => r.Label).ToList();
        var single = rows.Where(r => r.Result.N < 2).Select(r => r.Label).ToList();
        if (single.Count > 0) return new Gate("at least two seeds per row", false, $"one seed: {string.Join(", ", single.Take(4))}{(single.Count > 4 ? " …" : "")}");
        return identical.Count == 0
            ? new Gate("seeds differ", true, $"all {rows.Count} rows vary across seeds")
            : new Gate("seeds differ", false, $"identical on every seed: {string.Join(", ", identical.Take(6))}");
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
