using System.Diagnostics;
using Xunit.Abstractions;

namespace AdapterLab.Statistics.Tests;

/// <summary>
/// Dataset-level metrics (a ratio of sums, a root of one) through jackknife pseudo-values: by hand, and by simulation —
/// the seeds × examples interval of an RMSE over all valid pixels covers the population RMSE 93.5–96.5 % of the time in
/// the same four regimes as accuracy (3 and 5 seeds × 500 and 4,000 images).
/// </summary>
public sealed class JackknifeTests(ITestOutputHelper output)
{
    [Fact]
    public void A_mean_of_per_example_values_gives_the_values_back()
    {
        double[] values = [0.2, 0.9, 0.4, 0.7, 0.1];
        var pseudo = Jackknife.PseudoValues(values.Select(v => new[] { v, 1.0 }).ToList(), s => s[0] / s[1]);
        for (int i = 0; i < values.Length; i++) Assert.Equal(values[i], pseudo[i], 12);
    }

    [Fact]
    public void A_ratio_of_sums_matches_the_hand_computed_pseudo_values()
    {
        // θ = 6/8 = 0.75; leave-one-out 5/6, 3/6, 4/4 (mean 7/9); ψ_j = θ + 2·(7/9 − θ₋ⱼ).
        var pseudo = Jackknife.PseudoValues([[1, 2], [3, 2], [2, 4]], s => s[0] / s[1]);
        Assert.Equal(0.75 + 2 * (7.0 / 9 - 5.0 / 6), pseudo[0], 12);
        Assert.Equal(0.75 + 2 * (7.0 / 9 - 0.5), pseudo[1], 12);
        Assert.Equal(0.75 + 2 * (7.0 / 9 - 1.0), pseudo[2], 12);
        Assert.Equal(0.75, pseudo.Average(), 12);
    }

    [Fact]
    public void Undefined_metrics_stay_undefined_and_a_lone_valid_image_carries_the_value()
    {
        Assert.All(Jackknife.PseudoValues([[0, 0], [0, 0]], s => s[1] > 0 ? s[0] / s[1] : double.NaN), v => Assert.True(double.IsNaN(v)));
        var pseudo = Jackknife.PseudoValues([[3, 1], [0, 0], [0, 0]], s => s[1] > 0 ? s[0] / s[1] : double.NaN);
        Assert.Equal(3.0, pseudo.Average(), 12);
        Assert.All(pseudo, v => Assert.True(double.IsFinite(v)));
    }

    [Theory]
    [InlineData(3, 500)]
    [InlineData(3, 4000)]
    [InlineData(5, 500)]
    [InlineData(5, 4000)]
    public void Intervals_of_a_dataset_level_rmse_cover_the_population_value(int seeds, int images)
    {
        const int studies = 1500;
        var clock = Stopwatch.StartNew();
        var random = new Random(7000 * seeds + images);
        int covered = 0;
        for (int k = 0; k < studies; k++)
        {
            var study = RmseStudy.Draw(random, images);
            var rows = new List<double[]>(seeds);
            for (int s = 0; s < seeds; s++) rows.Add(Jackknife.PseudoValues(study.Run(random), RmseStudy.Rmse));
            var e = Intervals.Mean(new SeedExampleTable(rows));
            if (e.Lower <= RmseStudy.Truth && RmseStudy.Truth <= e.Upper) covered++;
        }
        double coverage = covered / (double)studies;
        output.WriteLine($"{seeds} seeds × {images} images: coverage {coverage:P2} ({clock.ElapsedMilliseconds} ms)");
        Assert.InRange(coverage, 0.935, 0.965);
    }

    /// <summary>
    /// A depth-like test set: image j has c_j ∈ [50, 150] valid pixels and a mean squared error μ_j = exp(b_j), b_j ~ N(0, 0.5²)
    /// (hard and easy images, shared by every seed); a run (seed) scales every error by m = exp(a), a ~ N(0, 0.05²), and
    /// each image's sum gets its own noise ε ~ lognormal with mean 1 (σ 0.3). The reported metric is √(Σ sse ÷ Σ c); the
    /// population value over seeds and test sets is E[√m]·√E[μ] = exp(0.05²/8)·exp(0.5²/4).
    /// </summary>
    private sealed record RmseStudy(double[] Pixels, double[] MeanSquared)
    {
        private const double ImageSd = 0.5, SeedSd = 0.05, NoiseSd = 0.3;
        public static readonly double Truth = Math.Exp(SeedSd * SeedSd / 8) * Math.Exp(ImageSd * ImageSd / 4);

        public static double Rmse(double[] s) => s[1] > 0 ? Math.Sqrt(s[0] / s[1]) : double.NaN;

        public static RmseStudy Draw(Random random, int images)
        {
            var pixels = new double[images];
            var meanSquared = new double[images];
            for (int j = 0; j < images; j++)
            {
                pixels[j] = random.Next(50, 151);
                meanSquared[j] = Math.Exp(ImageSd * Normal(random));
            }
            return new RmseStudy(pixels, meanSquared);
        }

        public double[][] Run(Random random)
        {
            double m = Math.Exp(SeedSd * Normal(random));
            var parts = new double[Pixels.Length][];
            for (int j = 0; j < parts.Length; j++)
            {
                double noise = Math.Exp(NoiseSd * Normal(random) - NoiseSd * NoiseSd / 2);
                parts[j] = [Pixels[j] * MeanSquared[j] * m * noise, Pixels[j]];
            }
            return parts;
        }

        private static double Normal(Random random)
        {
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
    }
}
