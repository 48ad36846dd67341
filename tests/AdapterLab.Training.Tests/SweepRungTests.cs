using AdapterLab.Contracts.Safetensors;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Api;

namespace AdapterLab.Training.Tests;

/// <summary>
/// A sweep trial pauses at its rungs and is resumed from each rung checkpoint when promoted. Its learning-rate schedule
/// runs over the trial's maximum budget (the spec's <c>training.steps</c>), so a trial resumed across rungs equals one
/// trained straight through — weights byte for byte, results exactly — while a run whose budget were the rung differs.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class SweepRungTests
{
    /// <summary>AdaptFormer with dropout on a random backbone: every source of randomness (init, data order, masks) must resume.</summary>
    private static ExperimentSpec Spec(int steps) => Specs.Adapt(Methods.AdaptFormer, steps) with
    {
        Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Random },
        Training = new TrainingSpec { Steps = steps, BatchSize = 16, Seed = 7, Optimizer = "adamw", LearningRate = 1e-3 },
    };

    private static TrainingOutcome Run(ExperimentSpec spec, long? pauseAt = null, string? resume = null) =>
        ExperimentTrainer.Run(new TrainingJob
        {
            Spec = spec, PauseAtStep = pauseAt, ResumeCheckpointPath = resume, WorkDirectory = TestPaths.TempDirectory(), Threads = 1,
        }, new RecordingObserver(), CancellationToken.None);

    private static Dictionary<string, byte[]> Weights(string path)
    {
        using var reader = SafetensorsReader.Open(path);
        return reader.Tensors.ToDictionary(t => t.Name, t => reader.ReadRaw(t.Name));
    }

    [Fact]
    public void A_trial_resumed_across_its_rungs_equals_one_trained_straight_through()
    {
        var straight = Run(Spec(9));

        var rung0 = Run(Spec(9), pauseAt: 3);
        Assert.True(rung0.Paused);
        Assert.Equal(3, rung0.FinalStep);
        Assert.NotEmpty(rung0.Results);
        Assert.All(rung0.Results, r => Assert.Equal("validation", r.Split)); // the test split stays unread at a rung
        Assert.Null(rung0.OutputWeightsPath);

        var rung1 = Run(Spec(9), pauseAt: 6, resume: rung0.CheckpointPath);
        Assert.True(rung1.Paused);
        Assert.Equal(6, rung1.FinalStep);

        var promoted = Run(Spec(9), resume: rung1.CheckpointPath);
        Assert.False(promoted.Paused);
        Assert.Equal(9, promoted.FinalStep);
        Assert.Equal(straight.Results, promoted.Results);
        var expected = Weights(straight.OutputWeightsPath!);
        var actual = Weights(promoted.OutputWeightsPath!);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        Assert.All(expected, kv => Assert.True(kv.Value.AsSpan().SequenceEqual(actual[kv.Key]), $"{kv.Key} differs"));

        // The control: a run whose whole budget were the first rung warms up and decays over 3 steps, so its weights at
        // step 3 differ from the trial's paused there (this test could fail if the schedule followed the rung).
        var shortBudget = Run(Spec(3));
        var atRung = ModelTensors(rung0.CheckpointPath!);
        var shortRun = ModelTensors(shortBudget.CheckpointPath!);
        Assert.Equal(atRung.Keys.Order(), shortRun.Keys.Order());
        Assert.Contains(atRung, kv => !kv.Value.AsSpan().SequenceEqual(shortRun[kv.Key]));
    }

    /// <summary>A checkpoint's model tensors (not the optimiser's moments).</summary>
    private static Dictionary<string, byte[]> ModelTensors(string checkpoint) =>
        Weights(checkpoint).Where(kv => !kv.Key.StartsWith("optim/", StringComparison.Ordinal)).ToDictionary();
}
