namespace AdapterLab.Statistics;

/// <summary>A difference between two configurations (a − b), its interval and two-sided p-value, and the test that gave it.</summary>
public sealed record Difference(Estimate Estimate, double PValue, string Test);

/// <summary>
/// Differences between configurations, paired where the data allows: by seed (the same seed number in both) and by
/// example (the same test images). Paired data removes the shared parts of the variance (hard examples, a seed's data
/// order), which is what makes a half-point difference on a shared test set detectable at all.
/// </summary>
public static class Comparisons
{
    /// <summary>
    /// a − b on per-example outcomes, rows paired by seed and columns by example. Two or more seeds: the mean of the
    /// difference table with <see cref="Intervals.MeanDifference"/>'s interval and its t test. One seed of binary outcomes (a single
    /// pair of runs): McNemar's exact test on the discordant examples, with the paired interval over examples.
    /// </summary>
    public static Difference Paired(SeedExampleTable a, SeedExampleTable b)
    {
        var diff = SeedExampleTable.Difference(a, b);
        var estimate = Intervals.MeanDifference(diff);
        if (a.Seeds == 1 && IsBinary(a) && IsBinary(b))
        {
            int aOnly = 0, bOnly = 0;
            for (int j = 0; j < a.Examples; j++)
            {
                if (a.Rows[0][j] > b.Rows[0][j]) aOnly++;
                else if (a.Rows[0][j] < b.Rows[0][j]) bOnly++;
            }
            return new Difference(estimate, Distributions.BinomialTwoSidedHalf(aOnly, aOnly + bOnly), "McNemar exact (one pair of runs)");
        }
        return new Difference(estimate, PValue(estimate), a.Seeds == 1 ? "paired t over examples (one seed)" : "paired t, seeds × examples (two-way random effects)");
    }

    /// <summary>
    /// a − b from per-seed values alone (no per-example outcomes): paired by seed when both have the same seeds
    /// (<paramref name="paired"/>), else Welch's t. Test-set sampling is not included, and the result says so.
    /// </summary>
    public static Difference SeedsOnly(IReadOnlyList<double> a, IReadOnlyList<double> b, bool paired)
    {
        if (paired && a.Count == b.Count && a.Count > 1)
        {
            var estimate = Intervals.SeedsOnly(a.Zip(b, (x, y) => x - y).ToList());
            return new Difference(estimate, PValue(estimate), "paired t over seeds (no per-example outcomes)");
        }
        var ea = Intervals.SeedsOnly(a);
        var eb = Intervals.SeedsOnly(b);
        return Unpaired(ea, eb, "Welch t over seeds (no per-example outcomes)");
    }

    /// <summary>a − b for two independent estimates (Welch–Satterthwaite).</summary>
    public static Difference Unpaired(Estimate a, Estimate b, string test = "Welch t (unpaired)")
    {
        double value = a.Value - b.Value;
        if (!a.HasInterval || !b.HasInterval)
            return new Difference(Estimate.Point(value, Math.Min(a.Seeds, b.Seeds)), 1, test + ": not enough runs for a test");
        double va = a.StandardError * a.StandardError, vb = b.StandardError * b.StandardError;
        double se = Math.Sqrt(va + vb);
        double df = se == 0 ? double.PositiveInfinity : (va + vb) * (va + vb) / ((va == 0 ? 0 : va * va / a.DegreesOfFreedom) + (vb == 0 ? 0 : vb * vb / b.DegreesOfFreedom));
        var method = a.Method == b.Method ? a.Method : IntervalMethod.SeedsOnly;
        var estimate = Estimate.FromStandardError(value, se, double.IsNaN(df) ? double.PositiveInfinity : df, Math.Min(a.Seeds, b.Seeds), Math.Min(a.Examples, b.Examples), method);
        return new Difference(estimate, PValue(estimate), test);
    }

    /// <summary>Two-sided p of estimate ÷ its standard error under t(ν); a zero standard error gives 0 for a non-zero difference, 1 for none.</summary>
    public static double PValue(Estimate e)
    {
        if (!e.HasInterval) return 1;
        if (e.StandardError == 0) return e.Value == 0 ? 1 : 0;
        return Distributions.TwoSidedP(e.Value / e.StandardError, e.DegreesOfFreedom);
    }

    /// <summary>
    /// TOST equivalence within ±<paramref name="margin"/>: the larger of the two one-sided p-values that the difference lies
    /// below −margin or above +margin. Equivalent when it is below 0.05.
    /// </summary>
    public static double EquivalenceP(Estimate difference, double margin)
    {
        if (!difference.HasInterval || margin <= 0) return 1;
        if (difference.StandardError == 0) return Math.Abs(difference.Value) < margin ? 0 : 1;
        double df = difference.DegreesOfFreedom, se = difference.StandardError;
        double pLower = 1 - Distributions.StudentTCdf((difference.Value + margin) / se, df);
        double pUpper = Distributions.StudentTCdf((difference.Value - margin) / se, df);
        return Math.Max(pLower, pUpper);
    }

    private static bool IsBinary(SeedExampleTable t) => t.Rows.All(r => r.All(v => v is 0 or 1));
}
