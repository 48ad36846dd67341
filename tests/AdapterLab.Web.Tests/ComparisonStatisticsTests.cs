using AdapterLab.Contracts.Predictions;
using AdapterLab.Web.Dashboard;
using AdapterLab.Web.Experiments;

namespace AdapterLab.Web.Tests;

/// <summary>The compare page's statistics, from per-example predictions and from per-seed results alone.</summary>
public sealed class ComparisonStatisticsTests
{
    private const int Examples = 2000;
    private static readonly string[] Ids = Enumerable.Range(0, Examples).Select(i => $"shapesworld/1/{200_000_000 + i}").ToArray();
    private static readonly int[] Labels = Enumerable.Range(0, Examples).Select(i => i % 4).ToArray();

    /// <summary>How hard each test example is (shared by every run, as a real test set's examples are): a logit offset.</summary>
    private static readonly double[] Difficulty = Enumerable.Range(0, Examples).Select(i => 2.0 * Math.Sin(i * 12.9898) ).ToArray();

    /// <summary>
    /// A run right on about an <paramref name="accuracy"/> share of the examples: easy examples more often than hard ones, a
    /// small seed effect, and seeded noise; with the majority-class floor.
    /// </summary>
    /// <param name="twinOf">Draw the same noise as this configuration (identical predictions at the same accuracy).</param>
    private static (ResultRun Run, ComparisonStatistics.Run Stats) Run(string config, int seed, double accuracy, Func<int, int>? constant = null, string? twinOf = null)
    {
        var key = twinOf ?? config;
        var random = new Random(key.Length * 1_000_003 + key[0] * 7919 + seed);
        double logit = Math.Log(accuracy / (1 - accuracy)) * 1.6 + 0.1 * (random.NextDouble() - 0.5);
        var predicted = Labels.Select((l, i) => constant?.Invoke(i) ?? (random.NextDouble() < 1 / (1 + Math.Exp(-(logit + Difficulty[i]))) ? l : (l + 1) % 4)).ToArray();
        double value = predicted.Zip(Labels).Count(x => x.First == x.Second) / (double)Examples;
        var results = new List<FinalResultView> { new("test", "classification", "fog", "accuracy", value) };
        var file = new PredictionsFile
        {
            Step = 100,
            Sets =
            [
                new PredictionSet { Split = "test", Task = "classification", Domain = "fog", Predictor = "model", ExampleIds = Ids, Labels = Labels, Predicted = predicted },
                new PredictionSet { Split = "test", Task = "classification", Domain = "fog", Predictor = "floor:majority-class", ExampleIds = Ids, Labels = Labels, Predicted = Enumerable.Repeat(0, Examples).ToArray() },
            ],
        };
        var id = Guid.NewGuid();
        return (new ResultRun(id, $"{config} s{seed}", config, seed, results), new ComparisonStatistics.Run(id, $"{config} s{seed}", seed, results, file));
    }

    private static ComparisonStatistics Build(string baseline, params (ResultRun Run, ComparisonStatistics.Run Stats)[] runs)
    {
        var matrix = ResultsMatrix.Build(runs.Select(r => r.Run).ToList(), baseline);
        var byId = runs.ToDictionary(r => r.Run.Id, r => r.Stats);
        return ComparisonStatistics.Build(matrix, matrix.Columns.Select(c => (IReadOnlyList<ComparisonStatistics.Run>)c.Ids.Select(id => byId[id]).ToList()).ToList());
    }

    [Fact]
    public void A_real_difference_is_called_better_with_an_interval_and_a_holm_adjusted_p()
    {
        var s = Build("base",
            Run("base", 1, 0.60), Run("base", 2, 0.60), Run("base", 3, 0.60),
            Run("new", 1, 0.70), Run("new", 2, 0.70), Run("new", 3, 0.70),
            Run("same", 1, 0.60, twinOf: "base"), Run("same", 2, 0.60, twinOf: "base"), Run("same", 3, 0.60, twinOf: "base"));
        var row = Assert.Single(s.Rows);
        var (baseCell, newCell, sameCell) = (row.Cells[0]!, row.Cells[1]!, row.Cells[2]!);
        Assert.Equal("SeedsAndExamples", baseCell.IntervalMethod);
        Assert.Equal(3, baseCell.Seeds);
        Assert.Equal(Examples, baseCell.Examples);
        Assert.True(baseCell.Lower < baseCell.Mean && baseCell.Mean < baseCell.Upper);
        Assert.Equal("baseline", baseCell.VerdictWords);
        Assert.Equal("Better", newCell.Verdict);
        Assert.True(newCell.DifferenceLower > 0.05 && newCell.DifferenceUpper < 0.15);
        Assert.True(newCell.AdjustedP >= newCell.P);
        Assert.Contains("better", newCell.VerdictWords);
        // The same predictions on the same examples: equivalent within the metric's tolerance (±0.004) by TOST, not just "no difference".
        Assert.Equal("Equivalent", sameCell.Verdict);
        Assert.Contains("equivalent within ±0.004 (TOST; n = 3 seeds × 2,000 examples)", sameCell.VerdictWords);
        // The floor: the majority class (class 0) is right on a quarter of the examples.
        Assert.Equal(0.25, row.Floor!.Value, 10);
        Assert.Equal("majority-class", row.FloorName);
        Assert.False(newCell.AtFloor);
        Assert.Empty(s.Notes);
    }

    [Fact]
    public void A_constant_predictor_is_flagged_collapsed_identical_across_seeds_and_at_floor()
    {
        var s = Build("base",
            Run("base", 1, 0.60), Run("base", 2, 0.60),
            Run("constant", 1, 0, constant: _ => 0), Run("constant", 2, 0, constant: _ => 0));
        var cell = s.Rows.Single().Cells[1]!;
        Assert.True(cell.Collapsed);
        Assert.True(cell.IdenticalSeeds);
        Assert.True(cell.AtFloor);
        Assert.Equal("Worse", cell.Verdict);
        Assert.Contains(s.Notes, n => n.Contains("Identical results across seeds"));
        Assert.False(s.Rows.Single().Cells[0]!.Collapsed);
    }

    [Fact]
    public void Experiments_without_predictions_fall_back_to_seed_only_intervals_and_say_so()
    {
        var a = Run("base", 1, 0.6); var b = Run("base", 2, 0.6); var c = Run("new", 1, 0.62); var d = Run("new", 2, 0.62);
        ComparisonStatistics.Run Strip((ResultRun Run, ComparisonStatistics.Run Stats) r) => r.Stats with { Predictions = null };
        var matrix = ResultsMatrix.Build([a.Run, b.Run, c.Run, d.Run], "base");
        var s = ComparisonStatistics.Build(matrix, [[Strip(a), Strip(b)], [Strip(c), Strip(d)]]);
        var cell = s.Rows.Single().Cells[1]!;
        Assert.Equal("SeedsOnly", cell.IntervalMethod);
        Assert.Equal(0, cell.Examples);
        Assert.Contains(s.Notes, n => n.Contains("No per-example predictions stored") && n.Contains("seed spread only"));
        Assert.Null(s.Rows.Single().Floor);
    }

    /// <summary>
    /// A depth run: per-image squared-error sums and valid-pixel counts (<see cref="DenseMetricParts"/>), image j hard or easy
    /// for every run alike, each run scaling the errors by <paramref name="scale"/> and its own noise; the reported RMSE is the
    /// dataset-level one. <paramref name="withParts"/> false: a file from before parts were recorded (per-image values only).
    /// </summary>
    private static (ResultRun Run, ComparisonStatistics.Run Stats) DepthRun(string config, int seed, double scale, bool withParts = true)
    {
        const int images = 400;
        var random = new Random(config.Length * 1_000_003 + config[0] * 7919 + seed);
        var ids = Enumerable.Range(0, images).Select(i => $"shapesworld-dense/1/{i}").ToArray();
        double runScale = scale * Math.Exp(0.02 * (random.NextDouble() - 0.5));
        double[][] Parts(double factor) => Enumerable.Range(0, images).Select(j =>
        {
            double pixels = 600 + (j * 37 % 400);
            double meanSquared = Math.Exp(0.5 * Math.Sin(j * 3.1)) * factor * Math.Exp(0.3 * (random.NextDouble() - 0.5));
            return new[] { pixels * meanSquared, pixels };
        }).ToArray();
        var parts = Parts(runScale);
        var floorParts = Parts(4.0);
        double value = DenseMetricParts.Value("rmse", parts);
        var results = new List<FinalResultView> { new("test", "depth", "synthetic", "rmse", value) };
        PredictionSet Set(string predictor, double[][] p) => new()
        {
            Split = "test", Task = "depth", Domain = "synthetic", Predictor = predictor, ExampleIds = ids,
            Metrics = new Dictionary<string, double?[]> { ["rmse"] = p.Select(x => (double?)Math.Sqrt(x[0] / x[1])).ToArray() },
            MetricParts = withParts ? new Dictionary<string, double[][]> { ["rmse"] = p } : null,
        };
        var file = new PredictionsFile { Step = 100, Sets = [Set("model", parts), Set("floor:image-blind-prior", floorParts)] };
        var id = Guid.NewGuid();
        return (new ResultRun(id, $"{config} s{seed}", config, seed, results), new ComparisonStatistics.Run(id, $"{config} s{seed}", seed, results, file));
    }

    [Fact]
    public void A_dense_metric_gets_a_test_set_interval_around_its_dataset_level_value_and_a_paired_verdict()
    {
        var runs = new[] { DepthRun("base", 1, 1.0), DepthRun("base", 2, 1.0), DepthRun("base", 3, 1.0), DepthRun("better", 1, 0.8), DepthRun("better", 2, 0.8), DepthRun("better", 3, 0.8) };
        var s = Build("base", runs);
        var row = Assert.Single(s.Rows);
        Assert.Equal("rmse", row.Metric);
        Assert.False(row.HigherIsBetter);
        var (baseCell, betterCell) = (row.Cells[0]!, row.Cells[1]!);
        Assert.Equal("SeedsAndExamples", baseCell.IntervalMethod);
        Assert.Equal(400, baseCell.Examples);
        // The cell's mean is the mean over seeds of the dataset-level RMSE, not of the per-image RMSEs.
        Assert.Equal(runs.Take(3).Average(r => r.Stats.Results[0].Value), baseCell.Mean, 9);
        Assert.True(baseCell.Lower < baseCell.Mean && baseCell.Mean < baseCell.Upper);
        Assert.Equal("Better", betterCell.Verdict);
        Assert.True(betterCell.Difference < 0 && betterCell.DifferenceUpper < 0);
        // The floor: the image-blind prior's dataset-level RMSE (errors scaled by 4: about twice the baseline's).
        Assert.Equal("image-blind-prior", row.FloorName);
        Assert.InRange(row.Floor!.Value / baseCell.Mean, 1.8, 2.2);
        Assert.False(baseCell.AtFloor);

        // Files from before parts were recorded fall back to the seed spread, and the page says so.
        var old = Build("base", [.. runs.Select(r => DepthRun(r.Run.ConfigurationHash, r.Run.Seed, r.Run.ConfigurationHash == "base" ? 1.0 : 0.8, withParts: false))]);
        var oldCell = old.Rows.Single().Cells[0]!;
        Assert.Equal("SeedsOnly", oldCell.IntervalMethod);
        Assert.Equal(baseCell.Mean, oldCell.Mean, 9);
        Assert.Contains(old.Notes, n => n.Contains("per-image parts") && n.Contains("rmse"));
    }
}
