using AdapterLab.Contracts.Predictions;
using AdapterLab.Contracts.Suites;

namespace AdapterLab.Contracts.Tests.Suites;

public sealed class RegressionDetectorTests
{
    /// <summary>Three seeds with a small spread (a tested change), the given mean.</summary>
    private static ConfigurationScore S(string cfg, double mean, string metric = "accuracy", string domain = "fog") => new(cfg, domain, metric, mean, 0.001, 3);

    [Fact]
    public void A_drop_beyond_tolerance_regresses_and_a_rise_beyond_it_improves()
    {
        var rows = RegressionDetector.Compare([S("a", 0.70), S("b", 0.90), S("c", 0.810)], [S("a", 0.80), S("b", 0.80), S("c", 0.812)]);
        Assert.Equal(Verdicts.Regressed, rows.Single(r => r.ConfigurationHash == "a").Verdict);
        Assert.Equal(Verdicts.Improved, rows.Single(r => r.ConfigurationHash == "b").Verdict);
        Assert.Equal(Verdicts.Unchanged, rows.Single(r => r.ConfigurationHash == "c").Verdict);
        Assert.Equal(-0.10, rows.Single(r => r.ConfigurationHash == "a").Delta!.Value, 9);
    }

    [Fact]
    public void A_move_of_exactly_the_tolerance_is_not_a_regression()
    {
        var rows = RegressionDetector.Compare([S("a", 0.796)], [S("a", 0.80)]);
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
        Assert.Equal(Verdicts.Untested, row.Verdict);
        var one = Assert.Single(RegressionDetector.Compare([N("a", 0.70, 0, 1)], [N("a", 0.80, 0, 1)]));
        Assert.Equal("untested: one seed", one.Test);
        Assert.Equal(Verdicts.Untested, one.Verdict);
    }

    // Per-example outcomes: a shared test set of 4,000 examples of graded difficulty, runs right on each with a seed- and
    // example-dependent probability around the configuration's accuracy.
    private const int Examples = 4000;
    private static readonly string[] Ids = Enumerable.Range(0, Examples).Select(i => $"shapesworld/1/{i}").ToArray();
    private static readonly int[] Labels = Enumerable.Range(0, Examples).Select(i => i % 4).ToArray();

    private static PredictionSet Predictions(double accuracy, int seed, int stream)
    {
        var random = new Random(seed * 1_000_003 + stream);
        double logit = Math.Log(accuracy / (1 - accuracy)) * 1.7 + 0.05 * (random.NextDouble() - 0.5);
        var predicted = Labels.Select((l, i) => random.NextDouble() < 1 / (1 + Math.Exp(-(logit + 2.0 * Math.Sin(i * 12.9898)))) ? l : (l + 1) % 4).ToArray();
        return new PredictionSet { Split = "test", Task = "classification", Domain = "fog", Predictor = "model", ExampleIds = Ids, Labels = Labels, Predicted = predicted };
    }

    private static ConfigurationScore Scored(double accuracy, int[] seeds, int stream)
    {
        var sets = seeds.ToDictionary(s => s, s => Predictions(accuracy, s, stream));
        var values = sets.Values.Select(p => p.Correct!.Average()).ToList();
        var (mean, std) = RegressionDetector.MeanStd(values);
        return new ConfigurationScore("a", "fog", "accuracy", mean, std, seeds.Length, Predictions: sets);
    }

    [Fact]
    public void A_real_half_point_drop_with_per_example_outcomes_is_caught_and_noise_is_not()
    {
        int[] seeds = [1, 2, 3, 4, 5];
        // The model lost a little on every example: about half a point on a shared test set of 4,000, five seeds.
        int caught = 0, noise = 0, trials = 20;
        for (int t = 0; t < trials; t++)
        {
            var reference = Scored(0.80, seeds, 100 + t);
            // A drop: the same runs with each correct answer lost with probability 1/160 (−0.5 points), paired by seed and example.
            var lossRandom = new Random(t);
            var dropped = reference.Predictions!.ToDictionary(kv => kv.Key, kv => kv.Value with
            {
                Predicted = kv.Value.Predicted!.Select((p, i) => p == Labels[i] && lossRandom.NextDouble() < 1 / 160.0 ? (p + 1) % 4 : p).ToArray(),
            });
            var values = dropped.Values.Select(p => p.Correct!.Average()).ToList();
            var (mean, std) = RegressionDetector.MeanStd(values);
            var current = new ConfigurationScore("a", "fog", "accuracy", mean, std, 5, Predictions: dropped);
            var row = Assert.Single(RegressionDetector.Compare([current], [reference]));
            Assert.Equal("paired t, seeds × examples (two-way random effects)", row.Test);
            if (row.Verdict == Verdicts.Regressed) caught++;
            // Noise: a fresh draw of the same configuration (other runs, same accuracy) against the reference.
            var again = Assert.Single(RegressionDetector.Compare([Scored(0.80, seeds, 900 + t)], [reference]));
            if (again.Verdict is Verdicts.Regressed or Verdicts.Improved) noise++;
        }
        Assert.True(caught >= 16, $"a half-point drop caught in {caught} of {trials}");
        Assert.True(noise <= 2, $"noise flagged in {noise} of {trials}");
    }

    [Fact]
    public void One_seed_with_predictions_is_tested_by_mcnemar()
    {
        var reference = Scored(0.80, [1], 7);
        var worse = Scored(0.70, [1], 8);
        var row = Assert.Single(RegressionDetector.Compare([worse], [reference]));
        Assert.Equal("McNemar exact (one pair of runs)", row.Test);
        Assert.Equal(Verdicts.Regressed, row.Verdict);
        Assert.True(row.PValue < 0.001);
    }

    private static ConfigurationScore DepthScored(double scale, int[] seeds, int stream)
    {
        const int images = 1000;
        var ids = Enumerable.Range(0, images).Select(i => $"shapesworld-dense/1/{i}").ToArray();
        var sets = seeds.ToDictionary(s => s, s =>
        {
            var random = new Random(s * 1_000_003 + stream);
            double run = scale * Math.Exp(0.01 * (random.NextDouble() - 0.5));
            var parts = Enumerable.Range(0, images).Select(j =>
            {
                double pixels = 800 + j * 37 % 200;
                return new[] { pixels * 0.04 * Math.Exp(Math.Sin(j * 3.1)) * run * Math.Exp(0.2 * (random.NextDouble() - 0.5)), pixels };
            }).ToArray();
            return new PredictionSet { Split = "test", Task = "depth", Domain = "fog", Predictor = "model", ExampleIds = ids, MetricParts = new Dictionary<string, double[][]> { ["rmse"] = parts } };
        });
        var values = sets.Values.Select(p => DenseMetricParts.Value("rmse", p.MetricParts!["rmse"])).ToList();
        var (mean, std) = RegressionDetector.MeanStd(values);
        return new ConfigurationScore("d", "fog", "rmse", mean, std, seeds.Length, Predictions: sets);
    }

    [Fact]
    public void A_dataset_level_rmse_rise_is_tested_on_per_image_parts()
    {
        int[] seeds = [1, 2, 3];
        var reference = DepthScored(1.0, seeds, 1);
        // Squared errors up 8 %: RMSE about 4 % higher (about 0.01 here, twice the tolerance of 0.005).
        var worse = Assert.Single(RegressionDetector.Compare([DepthScored(1.08, seeds, 1)], [reference]));
        Assert.Equal("paired t, seeds × examples (two-way random effects)", worse.Test);
        Assert.Equal(Verdicts.Regressed, worse.Verdict);
        // A fresh draw of the same configuration: not flagged.
        var again = Assert.Single(RegressionDetector.Compare([DepthScored(1.0, seeds, 2)], [reference]));
        Assert.NotEqual(Verdicts.Regressed, again.Verdict);
        Assert.NotEqual(Verdicts.Improved, again.Verdict);
    }
}
