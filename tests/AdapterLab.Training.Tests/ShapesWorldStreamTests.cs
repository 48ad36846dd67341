using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Safetensors;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Api;
using AdapterLab.Training.Datasets.ShapesWorld;

namespace AdapterLab.Training.Tests;

/// <summary>
/// The ShapesWorld pretraining stream and the label families it serves: each family's documented majority-class rate
/// is the generator's; batches are a pure function of (seed, step), differ step to step and seed to seed, never come
/// from the evaluation world, keep textures below a quarter of Nyquist and never sample around a held-out domain; a
/// stream run resumes exactly; held-out label families are refused for pretraining.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ShapesWorldStreamTests
{
    [Fact]
    public void Every_label_familys_documented_majority_rate_is_the_generators()
    {
        const int n = 8000;
        foreach (var family in ShapesWorldCatalogue.LabelFamilies)
        {
            var counts = new int[family.Classes.Count];
            var labels = new int[n];
            Parallel.For(0, n, i => labels[i] = ShapesWorldDataset.Scene(ShapesWorldDataset.WorldSeed, DataSplit.Validation, i).Label(family.Name));
            foreach (var l in labels) counts[l]++;
            Assert.True(Math.Abs(counts.Max() / (double)n - family.MajorityClassRate) < 0.015,
                $"{family.Name}: documented {family.MajorityClassRate}, generator {counts.Max() / (double)n:F4}");
            Assert.All(counts, c => Assert.True(c > 0 || family.Name == "disc-count", $"{family.Name} has an empty class"));
        }
    }

    [Fact]
    public void Batches_are_a_function_of_seed_and_step_fresh_every_step_and_outside_the_evaluation_world()
    {
        var a = new ShapesWorldStream(1, "largest-shape", 32, ["fog"]);
        var b = new ShapesWorldStream(1, "largest-shape", 32, ["fog"]);
        var first = a.Batch(5, 16);
        Assert.Equal(first.Pixels, b.Batch(5, 16).Pixels);
        Assert.Equal(first.Labels, b.Batch(5, 16).Labels);
        Assert.NotEqual(first.Pixels, a.Batch(6, 16).Pixels);
        Assert.NotEqual(first.Pixels, new ShapesWorldStream(2, "largest-shape", 32, ["fog"]).Batch(5, 16).Pixels);
        Assert.NotEqual(ShapesWorldDataset.WorldSeed, a.Seed);
        Assert.All(first.ExampleIds, id => Assert.StartsWith($"shapesworld-stream/{a.Seed}/", id));
        Assert.Equal(Enumerable.Range(0, 16).Select(r => SceneGenerator.Generate(a.Seed, 5 * 16 + r).Label("largest-shape")), first.Labels);
    }

    [Fact]
    public void Sampled_appearances_keep_textures_below_a_quarter_of_nyquist_and_never_sample_a_held_out_domain()
    {
        var around = AppearanceDomain.All.Where(d => d.Name != "fog").ToList();
        var rng = new SplitMix64(9);
        for (int i = 0; i < 2000; i++)
        {
            var d = AppearanceDomain.Around(around, ref rng, 32);
            Assert.True(d.TextureFrequency <= Math.PI * 32 / 4, $"stripes at {d.TextureFrequency} rad per side alias at 32²");
            Assert.Equal(0, d.FogDensity); // only fog has fog, and fog is held out
        }
        // The named domains too: textured's stripes span more than 8 pixels at 32².
        Assert.All(AppearanceDomain.All, d => Assert.True(d.TextureFrequency <= AppearanceDomain.MaxTextureFrequency(32)));
        Assert.Equal(["synthetic", "textured", "noisy-photo"], new ShapesWorldStream(1, null, 32, ["fog"]).Domains);
    }

    [Fact]
    public void Held_out_label_families_and_domains_are_refused_for_a_stream()
    {
        var spec = Specs.Pretrain() with { Data = new DataSpec { LabelFamily = "object-count", SourceDomain = "synthetic", Stream = true } };
        Assert.Contains("data.labelFamily", SpecValidator.Validate(spec).Keys);
        Assert.Throws<ArgumentException>(() => new ShapesWorldStream(1, "object-count", 32, ["fog"]));
        var heldOutSource = Specs.Pretrain() with { Data = new DataSpec { LabelFamily = "largest-shape", SourceDomain = "fog", Stream = true } };
        Assert.Contains("data.heldOutDomains", SpecValidator.Validate(heldOutSource).Keys);
        var sized = Specs.Pretrain() with { Data = new DataSpec { LabelFamily = "largest-shape", Stream = true, TrainSize = 100 } };
        Assert.Contains("data.trainSize", SpecValidator.Validate(sized).Keys);
        Assert.Contains("data.stream", SpecValidator.Validate(Specs.Adapt(Methods.LinearProbe) with { Data = Specs.Adapt(Methods.LinearProbe).Data with { Stream = true } }).Keys);
        Assert.Contains("data.heldOutDomains", SpecValidator.Validate(Specs.Pretrain() with { Data = Specs.Pretrain().Data with { HeldOutDomains = ["fog"] } }).Keys);
        foreach (var family in ShapesWorldCatalogue.LabelFamilies.Where(f => !ShapesWorldCatalogue.DownstreamLabelFamilies.Contains(f.Name)))
            Assert.Empty(SpecValidator.Validate(Specs.Pretrain() with { Data = new DataSpec { LabelFamily = family.Name, ValidationSize = 32, TestSize = 32, Stream = true } }));
    }

    [Fact]
    public void A_stream_pretrain_cancelled_and_resumed_matches_an_uninterrupted_one()
    {
        var spec = Specs.Pretrain(steps: 6) with { Data = new DataSpec { LabelFamily = "leftmost-shape", SourceDomain = "synthetic", TargetDomains = ["fog"], ValidationSize = 32, TestSize = 32, Stream = true } };
        Assert.Empty(SpecValidator.Validate(spec));
        TrainingOutcome Run(RecordingObserver o, string? resume = null, CancellationToken ct = default) =>
            ExperimentTrainer.Run(new TrainingJob { Spec = spec, ResumeCheckpointPath = resume, WorkDirectory = TestPaths.TempDirectory(), Threads = 1 }, o, ct);
        var full = Run(new RecordingObserver());
        using var cancel = new CancellationTokenSource();
        var cancelled = Run(new RecordingObserver(cancel, 3), ct: cancel.Token);
        Assert.True(cancelled.Cancelled);
        var resumedObserver = new RecordingObserver();
        var resumed = Run(resumedObserver, cancelled.CheckpointPath);
        Assert.Equal(full.Results, resumed.Results);
        Assert.Contains(full.Floors, f => f.Metric == Floors.MetricOf("accuracy") && f.Domain == "fog");
        using var x = SafetensorsReader.Open(full.BackboneWeightsPath!);
        using var y = SafetensorsReader.Open(resumed.BackboneWeightsPath!);
        foreach (var t in x.Tensors) Assert.True(x.ReadRaw(t.Name).AsSpan().SequenceEqual(y.ReadRaw(t.Name)), $"{t.Name} differs");
    }

    [Fact]
    public void Several_label_heads_train_together_and_report_accuracy_per_family()
    {
        var spec = Specs.Pretrain(steps: 4) with
        {
            Data = new DataSpec { LabelFamilies = ["largest-shape", "topmost-shape", "leftmost-shape"], SourceDomain = "synthetic", ValidationSize = 32, TestSize = 32, Stream = true },
        };
        Assert.Empty(SpecValidator.Validate(spec));
        var observer = new RecordingObserver();
        var outcome = ExperimentTrainer.Run(new TrainingJob { Spec = spec, WorkDirectory = TestPaths.TempDirectory(), Threads = 1 }, observer, default);
        // Three heads of 4 classes on the shared 96-wide CLS feature.
        Assert.Equal(458_592 + 3 * (96 * 4 + 4), observer.Start!.TrainableParameters);
        Assert.Equal(ModelCatalogue.Count(spec).Trainable, observer.Start.TrainableParameters);
        foreach (var family in spec.Data.LabelFamilies!)
        {
            Assert.Contains(outcome.Results, r => r is { Split: "test", Domain: "synthetic" } && r.Metric == $"accuracy:{family}");
            Assert.Contains(outcome.Floors, r => r.Split == "test" && r.Metric == Floors.MetricOf($"accuracy:{family}"));
        }

        // The composite label is the mixed-radix number of the parts' labels.
        var scene = ShapesWorldDataset.Scene(ShapesWorldDataset.WorldSeed, DataSplit.Test, 3);
        Assert.Equal(scene.Label("largest-shape") + 4 * scene.Label("topmost-shape") + 16 * scene.Label("leftmost-shape"), scene.Label("largest-shape+topmost-shape+leftmost-shape"));

        Assert.Contains("data.labelFamilies", SpecValidator.Validate(spec with { Data = spec.Data with { LabelFamilies = ["largest-shape", "object-count"] } }).Keys);
        Assert.Contains("data.labelFamilies", SpecValidator.Validate(spec with { Data = spec.Data with { LabelFamily = "largest-shape" } }).Keys);
        Assert.Contains("data.labelFamilies", SpecValidator.Validate(Specs.Adapt(Methods.LinearProbe) with { Data = Specs.Adapt(Methods.LinearProbe).Data with { LabelFamily = null, LabelFamilies = ["largest-shape", "topmost-shape"] } }).Keys);
        Assert.Contains("data.labelFamilies[1]", SpecValidator.Validate(spec with { Data = spec.Data with { LabelFamilies = ["largest-shape", "nope"] } }).Keys);
    }
}
