using AdapterLab.Statistics;

namespace AdapterLab.Statistics.Tests;

/// <summary>The reports' protocol helpers: the learning-rate grid's bracketing, the saturating fit and the seeds a difference needs.</summary>
public sealed class ProtocolTests
{
    private static Dictionary<double, double> Scores(params (double M, double S)[] points) => points.ToDictionary(p => p.M, p => p.S);

    [Fact]
    public void The_starting_grid_has_four_points_spanning_30x()
    {
        Assert.Equal(4, LearningRateGrid.Initial.Count);
        Assert.Equal(30, LearningRateGrid.Initial.Max() / LearningRateGrid.Initial.Min(), 9);
    }

    [Fact]
    public void An_edge_winner_extends_the_grid_past_its_edge_and_an_interior_winner_stops_it()
    {
        Assert.Equal(9, LearningRateGrid.Extension(Scores((0.1, 0.5), (0.3, 0.6), (1, 0.7), (3, 0.8)))!.Value, 9);
        Assert.Equal(0.1 / 3, LearningRateGrid.Extension(Scores((0.1, 0.9), (0.3, 0.6), (1, 0.7), (3, 0.8)))!.Value, 9);
        Assert.Null(LearningRateGrid.Extension(Scores((0.1, 0.5), (0.3, 0.9), (1, 0.7), (3, 0.8))));
        Assert.True(LearningRateGrid.Bracketed(Scores((0.1, 0.5), (0.3, 0.9), (1, 0.7), (3, 0.8))));
        Assert.False(LearningRateGrid.Bracketed(Scores((0.1, 0.5), (0.3, 0.6), (1, 0.7), (3, 0.8))));
        // Lower is better (an error metric): the smallest score wins.
        Assert.Equal(0.1 / 3, LearningRateGrid.Extension(Scores((0.1, 0.1), (0.3, 0.6), (1, 0.7), (3, 0.8)), higherIsBetter: false)!.Value, 9);
        // A full grid is not extended, even with an edge winner; ties go to the default (×1); NaN scores never win.
        var full = Enumerable.Range(0, LearningRateGrid.MaxPoints).ToDictionary(i => Math.Pow(3, i - 4), i => (double)i);
        Assert.Null(LearningRateGrid.Extension(full));
        Assert.Equal(1, LearningRateGrid.Best(Scores((0.3, 0.8), (1, 0.8), (3, 0.8))));
        Assert.Equal(0.3, LearningRateGrid.Best(Scores((0.3, 0.8), (1, double.NaN), (3, 0.2))));
    }

    [Fact]
    public void The_saturating_fit_recovers_a_known_curve_and_its_knee()
    {
        double[] x = [1, 2, 4, 8, 16, 32, 64];
        var y = x.Select(v => 0.80 - 0.30 * Math.Exp(-Math.Log2(v) / 1.5)).ToList();
        var fit = SaturatingFit.Fit(x, y);
        Assert.Equal(0.80, fit.Plateau, 3);
        Assert.Equal(0.30, fit.Rise, 3);
        Assert.Equal(1.5, fit.Tau, 1);
        // 90 % of the rise at log2(knee) = 1.5·ln 10 ≈ 3.45, i.e. d̂ ≈ 10.9.
        Assert.InRange(fit.Knee, 10.0, 12.0);
        Assert.True(fit.RootMeanSquareError < 1e-3);
        Assert.Throws<ArgumentException>(() => SaturatingFit.Fit([1, 2], [0.1, 0.2]));
    }

    [Fact]
    public void Seeds_to_detect_a_difference_follow_the_normal_approximation()
    {
        Assert.Equal(1.959964, SeedPower.NormalQuantile(0.975), 5);
        Assert.Equal(0.841621, SeedPower.NormalQuantile(0.8), 5);
        // (2.8016 · 0.01 / 0.0085)² = 10.9 → 11 seeds for a 0.85-point difference with a 1-point paired spread.
        Assert.Equal(11, SeedPower.SeedsToDetect(0.0085, 0.01));
        Assert.Equal(2, SeedPower.SeedsToDetect(0.05, 0.001));
        Assert.Throws<ArgumentOutOfRangeException>(() => SeedPower.SeedsToDetect(0, 0.01));
    }
}
