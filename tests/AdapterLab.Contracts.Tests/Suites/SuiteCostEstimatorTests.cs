using AdapterLab.Contracts.Specs;
using AdapterLab.Contracts.Suites;

namespace AdapterLab.Contracts.Tests.Suites;

public sealed class SuiteCostEstimatorTests
{
    private static ExperimentSpec Adapt(string method = "lora", int steps = 100, string backbone = "bb") => new()
    {
        Kind = Kinds.Adapt,
        Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Named, Name = backbone },
        Method = new MethodSpec { Name = method },
        Data = new DataSpec { TrainSize = 100, ValidationSize = 0, TestSize = 0 },
        Training = new TrainingSpec { Steps = steps, BatchSize = 10 },
    };

    private static ExperimentSpec Pretrain(string registerAs = "bb", int steps = 1000) => new()
    {
        Kind = Kinds.Pretrain,
        Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Random, RegisterAs = registerAs },
        Method = new MethodSpec { Name = Methods.Supervised },
        Data = new DataSpec { TrainSize = 100, ValidationSize = 0, TestSize = 0 },
        Training = new TrainingSpec { Steps = steps, BatchSize = 10 },
    };

    [Fact]
    public void History_of_the_same_preset_and_method_sets_the_rate()
    {
        var cost = SuiteCostEstimator.Cost(0, Adapt(steps: 100), [new Throughput("vit-tiny-ci", "lora", 100, 3)]);
        Assert.Equal("history", cost.Source);
        // 100 steps × 10 images at 100 images/s = 10 s, + the test split (0 here) + overhead.
        Assert.Equal(10 + SuiteCostEstimator.Overhead.TotalSeconds, cost.Duration.TotalSeconds, 3);
    }

    [Fact]
    public void Without_history_the_conservative_default_applies()
    {
        var cost = SuiteCostEstimator.Cost(0, Adapt(steps: 100), []);
        Assert.Equal("default", cost.Source);
        Assert.Equal(SuiteCostEstimator.DefaultImagesPerSecond("vit-tiny-ci"), cost.ImagesPerSecond);
        // Another method on the same preset: its slowest observed rate, not the default.
        var other = SuiteCostEstimator.Cost(0, Adapt(steps: 100), [new Throughput("vit-tiny-ci", "bitfit", 7, 1), new Throughput("vit-tiny-ci", "vpt-deep", 5, 1)]);
        Assert.Equal(5, other.ImagesPerSecond);
    }

    [Fact]
    public void More_slots_shorten_the_makespan_but_not_below_the_pretrain_chain()
    {
        var history = new[] { new Throughput("vit-tiny-ci", "lora", 100, 1), new Throughput("vit-tiny-ci", "supervised", 100, 1) };
        ExperimentSpec[] specs = [Pretrain(steps: 1000), Adapt(steps: 100), Adapt(steps: 100), Adapt(steps: 100), Adapt(steps: 100)];
        var one = SuiteCostEstimator.Estimate(specs, history, 1, null);
        var four = SuiteCostEstimator.Estimate(specs, history, 4, null);
        var o = SuiteCostEstimator.Overhead.TotalSeconds;
        Assert.Equal(100 + o + 4 * (10 + o), one.Makespan.TotalSeconds, 3);
        // The adaptations wait for the pretrain even with free slots.
        Assert.Equal(100 + o + 10 + o, four.Makespan.TotalSeconds, 3);
        Assert.Equal(one.TotalWork, four.TotalWork);
    }

    [Fact]
    public void A_window_too_short_does_not_fit_and_no_agents_never_fits()
    {
        var specs = new[] { Adapt(steps: 1000) };
        Assert.False(SuiteCostEstimator.Estimate(specs, [], 1, TimeSpan.FromSeconds(30)).Fits);
        Assert.True(SuiteCostEstimator.Estimate(specs, [], 1, TimeSpan.FromHours(2)).Fits);
        Assert.False(SuiteCostEstimator.Estimate(specs, [], 0, TimeSpan.FromHours(2)).Fits);
    }

    [Fact]
    public void Trimming_drops_from_the_end_and_keeps_a_needed_pretrain()
    {
        var history = new[] { new Throughput("vit-tiny-ci", "lora", 100, 1), new Throughput("vit-tiny-ci", "supervised", 100, 1) };
        ExperimentSpec[] specs = [Pretrain(steps: 100), Adapt(steps: 100), Adapt(steps: 100), Adapt(steps: 100)];
        var o = SuiteCostEstimator.Overhead.TotalSeconds;
        var window = TimeSpan.FromSeconds(10 + o + 2 * (10 + o) + 1);
        var kept = SuiteCostEstimator.Trim(specs, history, 1, window);
        Assert.Equal([0, 1, 2], kept);
        Assert.Empty(SuiteCostEstimator.Trim(specs, history, 1, TimeSpan.FromSeconds(1)));
    }
}
