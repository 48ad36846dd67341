namespace AdapterLab.Statistics;

public enum VerdictKind
{
    Better,
    Worse,
    Equivalent,
    NoDifferenceDetected,
    NotTested,
}

/// <summary>
/// What a comparison against the baseline says, in words: "better" or "worse" only when the Holm-adjusted p is below
/// 0.05; "equivalent" only through TOST within the margin; otherwise "no difference detected (n = …)".
/// </summary>
public sealed record Verdict(VerdictKind Kind, string Words)
{
    public const double Alpha = 0.05;

    /// <param name="difference">candidate − baseline.</param>
    /// <param name="adjustedP">Holm-adjusted p of this comparison within its table.</param>
    /// <param name="higherIsBetter">The metric's direction (accuracy: true; RMSE: false).</param>
    /// <param name="equivalenceMargin">The metric's tolerance (e.g. <c>MetricPolicy</c>'s); 0: no equivalence test.</param>
    public static Verdict For(Difference difference, double adjustedP, bool higherIsBetter, double equivalenceMargin)
    {
        var e = difference.Estimate;
        if (!e.HasInterval) return new Verdict(VerdictKind.NotTested, $"not tested: too few runs ({e.SampleSize})");
        if (adjustedP < Alpha)
        {
            bool better = (e.Value > 0) == higherIsBetter;
            return new Verdict(better ? VerdictKind.Better : VerdictKind.Worse, $"{(better ? "better" : "worse")} ({P(adjustedP)}, Holm-adjusted; {e.SampleSize})");
        }
        if (equivalenceMargin > 0 && Comparisons.EquivalenceP(e, equivalenceMargin) < Alpha)
            return new Verdict(VerdictKind.Equivalent, $"equivalent within ±{equivalenceMargin:0.###} (TOST; {e.SampleSize})");
        return new Verdict(VerdictKind.NoDifferenceDetected, $"no difference detected ({e.SampleSize})");
    }

    public static string Format(double p) => p < 0.001 ? "< 0.001" : p.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>"p = 0.012" or "p &lt; 0.001".</summary>
    public static string P(double p) => p < 0.001 ? "p < 0.001" : $"p = {Format(p)}";
}
