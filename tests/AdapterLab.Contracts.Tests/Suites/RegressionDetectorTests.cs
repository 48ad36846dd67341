using AdapterLab.Contracts.Suites;

namespace AdapterLab.Contracts.Tests.Suites;

public sealed class RegressionDetectorTests
{
    private static ConfigurationScore S(string cfg, double mean, string metric = "accuracy", string domain = "fog") => new(cfg, domain, metric, mean, 0, 3);

    [Fact]
    public void A_drop_beyond_tolerance_regresses_and_a_rise_beyond_it_improves()
    {
        var rows = RegressionDetector.Compare([S("a", 0.70), S("b", 0.90), S("c", 0.80)], [S("a", 0.80), S("b", 0.80), S("c", 0.81)]);
        Assert.Equal(Verdicts.Regressed, rows.Single(r => r.ConfigurationHash == "a").Verdict);
        Assert.Equal(Verdicts.Improved, rows.Single(r => r.ConfigurationHash == "b").Verdict);
        Assert.Equal(Verdicts.Unchanged, rows.Single(r => r.ConfigurationHash == "c").Verdict);
        Assert.Equal(-0.10, rows.Single(r => r.ConfigurationHash == "a").Delta!.Value, 9);
    }

    [Fact]
    public void A_move_of_exactly_the_tolerance_is_not_a_regression()
    {
        var rows = RegressionDetector.Compare([S("a", 0.78)], [S("a", 0.80)]);
        Assert.Equal(Verdicts.Unchanged, Assert.Single(rows).Verdict);
    }

    [Fact]
    public void For_lower_is_better_metrics_a_rise_regresses()
    {
        var rows = RegressionDetector.Compare([S("a", 0.50, "rmse"), S("b", 0.30, "rmse")], [S("a", 0.40, "rmse"), S("b", 0.40, "rmse")]);
        Assert.Equal(Verdicts.Regressed, rows.Single(r => r.ConfigurationHash == "a").Verdict);
        Assert.Equal(Verdicts.Improved, rows.Single(r => r.ConfigurationHash == "b").Verdict);
    }

    [Fact]
    public void New_and_missing_configurations_are_listed_not_judged()
    {
        var rows = RegressionDetector.Compare([S("new", 0.5)], [S("gone", 0.9)]);
        Assert.Equal(Verdicts.New, rows.Single(r => r.ConfigurationHash == "new").Verdict);
        Assert.Equal(Verdicts.Missing, rows.Single(r => r.ConfigurationHash == "gone").Verdict);
        Assert.DoesNotContain(rows, r => r.Verdict == Verdicts.Regressed);
    }

    [Fact]
    public void Domains_and_metrics_are_compared_separately()
    {
        var rows = RegressionDetector.Compare([S("a", 0.5, domain: "fog"), S("a", 0.9, domain: "textured")], [S("a", 0.9, domain: "fog"), S("a", 0.9, domain: "textured")]);
        Assert.Equal(Verdicts.Regressed, rows.Single(r => r.Domain == "fog").Verdict);
        Assert.Equal(Verdicts.Unchanged, rows.Single(r => r.Domain == "textured").Verdict);
    }

    [Fact]
    public void Mean_and_sample_std()
    {
        var (mean, std) = RegressionDetector.MeanStd([1.0, 2.0, 3.0]);
        Assert.Equal(2.0, mean, 12);
        Assert.Equal(1.0, std, 12);
        Assert.Equal(0, RegressionDetector.MeanStd([5.0]).Std);
    }

    private static ConfigurationScore N(string cfg, double mean, double std, int seeds = 3) => new(cfg, "fog", "accuracy", mean, std, seeds);

    [Fact]
    public void A_move_beyond_the_tolerance_that_seed_noise_explains_is_not_a_regression()
    {
        // −3 points with a seed spread of 5 points over 3 seeds: beyond the 2-point tolerance, not significant.
        var noisy = Assert.Single(RegressionDetector.Compare([N("a", 0.77, 0.05)], [N("a", 0.80, 0.05)]));
        Assert.Equal(Verdicts.Unchanged, noisy.Verdict);
        Assert.Equal("Welch t over seeds", noisy.Test);
        Assert.True(noisy.PValue > 0.05);
        // −3 points with a spread of half a point: significant and beyond the tolerance.
        var real = Assert.Single(RegressionDetector.Compare([N("a", 0.77, 0.005)], [N("a", 0.80, 0.005)]));
        Assert.Equal(Verdicts.Regressed, real.Verdict);
        Assert.True(real.PValue < 0.05);
    }

    [Fact]
    public void Zero_spread_across_seeds_is_not_evidence_and_says_so()
    {
        var row = Assert.Single(RegressionDetector.Compare([N("a", 0.70, 0)], [N("a", 0.80, 0.01)]));
        Assert.Equal("untested: identical results across seeds", row.Test);
        Assert.Null(row.PValue);
        Assert.Equal("untested: one seed", Assert.Single(RegressionDetector.Compare([N("a", 0.70, 0, 1)], [N("a", 0.80, 0, 1)])).Test);
    }
}
