namespace AdapterLab.Statistics.Tests;

/// <summary>The library against values computed by hand or taken from standard tables.</summary>
public sealed class HandComputedTests
{
    [Theory]
    [InlineData(0.975, 1, 12.7062047)]
    [InlineData(0.975, 2, 4.30265273)]
    [InlineData(0.975, 4, 2.77644511)]
    [InlineData(0.975, 30, 2.04227246)]
    [InlineData(0.95, 10, 1.81246112)]
    [InlineData(0.975, double.PositiveInfinity, 1.95996398)]
    public void T_quantiles_match_the_tables(double p, double df, double expected) =>
        Assert.Equal(expected, Distributions.StudentTQuantile(p, df), 6);

    [Theory]
    [InlineData(0.0, 0.5)]
    [InlineData(1.0, 0.841344746)]
    [InlineData(-1.96, 0.0249978951)]
    [InlineData(3.0, 0.998650102)]
    public void Normal_cdf_matches_the_tables(double z, double expected) => Assert.Equal(expected, Distributions.NormalCdf(z), 8);

    [Fact]
    public void Mcnemar_exact_p_matches_the_binomial_sum()
    {
        // 10 discordant pairs, 1 vs 9: 2 · (C(10,0) + C(10,1)) / 2^10 = 22 / 1024.
        Assert.Equal(22.0 / 1024, Distributions.BinomialTwoSidedHalf(1, 10), 12);
        Assert.Equal(1.0, Distributions.BinomialTwoSidedHalf(5, 10), 12);
        Assert.Equal(1.0, Distributions.BinomialTwoSidedHalf(0, 0));
    }

    [Fact]
    public void Seeds_only_interval_is_the_t_interval_of_the_seed_values()
    {
        // 0.60, 0.62, 0.64: mean 0.62, s = 0.02, se = 0.02/√3, t(2) = 4.30265.
        var e = Intervals.SeedsOnly([0.60, 0.62, 0.64]);
        double half = 4.30265273 * 0.02 / Math.Sqrt(3);
        Assert.Equal(0.62, e.Value, 12);
        Assert.Equal(0.62 - half, e.Lower, 6);
        Assert.Equal(0.62 + half, e.Upper, 6);
        Assert.Equal(IntervalMethod.SeedsOnly, e.Method);
    }

    [Fact]
    public void Seeds_by_examples_variance_is_the_two_way_anova_estimate()
    {
        // 2 seeds × 3 examples. Grand 0.5; seed means 2/3, 1/3; example means 1, 0.5, 0.
        var table = new SeedExampleTable([[1, 1, 0], [1, 0, 0]]);
        // SS_seed = 3·((1/6)² + (1/6)²) = 1/6, MS 1/6 (df 1); SS_example = 2·(0.25 + 0 + 0.25) = 1, MS 0.5 (df 2);
        // SS_total = 6 · 0.25 = 1.5, SS_res = 1/3, MS 1/6 (df 2). V = (1/6 + 1/2 − 1/6)/6 = 1/12.
        var e = Intervals.Mean(table);
        Assert.Equal(0.5, e.Value, 12);
        Assert.Equal(Math.Sqrt(1.0 / 12), e.StandardError, 12);
        // Satterthwaite: V² / Σ (c·MS)²/df = (1/144) / ((1/36)²/(1 · ½) + (1/12)²/2 + (1/36)²/2), the seed term at half its df.
        double c = 1.0 / 6, df = Math.Pow(1.0 / 12, 2) / (Math.Pow(c / 6, 2) / 0.5 + Math.Pow(c / 2, 2) / 2 + Math.Pow(c / 6, 2) / 2);
        Assert.Equal(df, e.DegreesOfFreedom, 9);
        Assert.Equal(IntervalMethod.SeedsAndExamples, e.Method);
    }

    [Fact]
    public void A_paired_difference_removes_the_shared_example_difficulty()
    {
        // 3 seeds × 40 examples with shared difficulty (the first 20 hard for every seed) and a little seed noise; b fixes
        // the same 10 hard examples in every seed. Paired by example the +0.25 is clear; as two unpaired means it is not.
        var rows = Enumerable.Range(0, 3).Select(s => Enumerable.Range(0, 40).Select(j => j < 20 ? (j == 5 + s ? 1.0 : 0.0) : (j == 30 + s ? 0.0 : 1.0)).ToArray()).ToList();
        var a = new SeedExampleTable(rows);
        var b = new SeedExampleTable(rows.Select(r => r.Select((v, j) => j >= 8 && j < 18 ? 1.0 : v).ToArray()).ToList());
        var paired = Comparisons.Paired(b, a);
        Assert.Equal(0.25, paired.Estimate.Value, 12);
        Assert.True(paired.PValue < 0.001, $"paired p = {paired.PValue}");
        var unpaired = Comparisons.Unpaired(Intervals.Mean(b), Intervals.Mean(a));
        Assert.True(unpaired.PValue > 10 * paired.PValue, $"unpaired p = {unpaired.PValue}, paired {paired.PValue}");
    }

    [Fact]
    public void One_pair_of_runs_uses_mcnemar()
    {
        var a = new SeedExampleTable([[1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1]]);
        var b = new SeedExampleTable([[0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]]);
        var d = Comparisons.Paired(a, b);
        Assert.StartsWith("McNemar", d.Test);
        Assert.Equal(Distributions.BinomialTwoSidedHalf(9, 10), d.PValue, 12);
    }

    [Fact]
    public void Holm_matches_the_step_down_by_hand()
    {
        // p sorted: 0.01 (×3 = 0.03), 0.02 (×2 = 0.04), 0.04 (×1 = 0.04, kept monotone).
        var adjusted = Holm.Adjust([0.04, 0.01, 0.02]);
        Assert.Equal([0.04, 0.03, 0.04], adjusted.Select(x => Math.Round(x, 12)));
        Assert.Equal([0.7], Holm.Adjust([0.7]));
        Assert.Equal([1.0, 1.0], Holm.Adjust([0.6, 0.7]));
    }

    [Fact]
    public void Zero_spread_is_not_significance_identical_constant_predictions_give_no_difference()
    {
        // Three seeds that all predict the same thing on every example (a constant prediction), against the same.
        var constant = new SeedExampleTable([[1, 0, 0, 1], [1, 0, 0, 1], [1, 0, 0, 1]]);
        Assert.True(constant.SeedsIdentical);
        var d = Comparisons.Paired(constant, constant);
        Assert.Equal(1, d.PValue);
        Assert.Equal(VerdictKind.NoDifferenceDetected, Verdict.For(d, d.PValue, true, 0).Kind);
        // The seed-only view of identical seeds has zero spread and must not call a tiny difference significant: the
        // examples are what carry the uncertainty, and with them the interval is not zero.
        var e = Intervals.Mean(constant);
        Assert.True(e.Upper - e.Lower > 0.1);
    }

    [Fact]
    public void Verdicts_say_better_worse_equivalent_or_no_difference()
    {
        var tight = Estimate.FromStandardError(0.02, 0.002, 50, 5, 4000, IntervalMethod.SeedsAndExamples);
        Assert.Equal(VerdictKind.Better, Verdict.For(new Difference(tight, 0.001, "t"), 0.003, true, 0.01).Kind);
        Assert.Equal(VerdictKind.Worse, Verdict.For(new Difference(tight, 0.001, "t"), 0.003, false, 0.01).Kind);
        var small = Estimate.FromStandardError(0.001, 0.002, 50, 5, 4000, IntervalMethod.SeedsAndExamples);
        Assert.Equal(VerdictKind.Equivalent, Verdict.For(new Difference(small, 0.6, "t"), 0.6, true, 0.01).Kind);
        var wide = Estimate.FromStandardError(0.001, 0.02, 2, 3, 500, IntervalMethod.SeedsAndExamples);
        var v = Verdict.For(new Difference(wide, 0.9, "t"), 0.9, true, 0.01);
        Assert.Equal(VerdictKind.NoDifferenceDetected, v.Kind);
        Assert.Contains("n = 3 seeds × 500 examples", v.Words);
    }

    [Fact]
    public void Confusion_matrix_per_class_accuracy_and_collapse()
    {
        var m = ConfusionMatrix.From([0, 0, 1, 1, 2], [0, 1, 1, 1, 1], 3);
        Assert.Equal([1L, 1, 0], m.Counts[0]);
        Assert.Equal([0.5, 1.0, 0.0], m.PerClassAccuracy);
        Assert.False(m.Collapsed);
        var collapsed = ConfusionMatrix.From(Enumerable.Range(0, 100).Select(i => i % 4).ToList(), Enumerable.Range(0, 100).Select(i => i < 95 ? 2 : 1).ToList(), 4);
        Assert.True(collapsed.Collapsed);
        Assert.Equal(2, collapsed.TopPredictedClass);
    }

    [Fact]
    public void A_result_is_at_its_floor_until_its_interval_clears_it()
    {
        var e = Estimate.FromStandardError(0.33, 0.01, 10, 3, 2000, IntervalMethod.SeedsAndExamples);
        Assert.True(FloorCheck.AtFloor(e, 0.324, higherIsBetter: true));
        Assert.False(FloorCheck.AtFloor(e, 0.25, higherIsBetter: true));
        // Lower is better (an error): at the floor while the interval's upper end reaches it.
        Assert.True(FloorCheck.AtFloor(e, 0.34, higherIsBetter: false));
        Assert.False(FloorCheck.AtFloor(e, 0.40, higherIsBetter: false));
    }

    [Fact]
    public void Rank_ranges_overlap_where_intervals_do()
    {
        Estimate E(double v) => Estimate.FromStandardError(v, 0.005, 30, 5, 4000, IntervalMethod.SeedsAndExamples);
        var ranges = Ranking.Ranges([E(0.90), E(0.899), E(0.70)], higherIsBetter: true);
        Assert.Equal((1, 2), ranges[0]);
        Assert.Equal((1, 2), ranges[1]);
        Assert.Equal((3, 3), ranges[2]);
    }
}
