using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Safetensors;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Api;
using AdapterLab.Training.Model;
using AdapterLab.Training.Pretraining;
using AdapterLab.Training.Tests.Folders;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Tests.Pretraining;

/// <summary>
/// Masked-autoencoder pretraining: exact parameter counts, a hidden patch never reaches the encoder, the loss falls and
/// reconstructions beat the image-blind prior on a tiny run, a resumed run matches an uninterrupted one, the registered
/// backbone carries no decoder, and a plain folder of images (no class folders) is enough.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class MaskedAutoencoderTests
{
    /// <summary>vit-tiny-ci's MAE decoder by hand: w = 48, p = 4 (48 pixel values per patch), 2 blocks of 12w² + 13w.</summary>
    private const long TinyDecoder = (96 * 48 + 48) + 48 + 2 * (12 * 48 * 48 + 13 * 48) + 2 * 48 + (48 * 48 + 48);

    public static ExperimentSpec Mae(int steps = 6, int evalInterval = 0, int checkpointInterval = 0) => new()
    {
        Kind = Kinds.Pretrain,
        Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Random, RegisterAs = "mae-test" },
        Method = new MethodSpec { Name = Methods.Mae },
        Data = new DataSpec { SourceDomain = "textured", TrainSize = 128, ValidationSize = 32, TestSize = 32 },
        Training = new TrainingSpec { Steps = steps, BatchSize = 16, Seed = 7, EvalInterval = evalInterval, CheckpointInterval = checkpointInterval },
    };

    private sealed class Observer(CancellationTokenSource? cancel = null, long cancelAt = long.MaxValue) : ITrainingObserver
    {
        public RecordingObserver Inner { get; } = new(cancel, cancelAt);
        public List<(string Kind, string Path)> Artifacts { get; } = [];
        public List<EvaluationPredictions> Predictions { get; } = [];
        public void OnPredictions(EvaluationPredictions predictions) => Predictions.Add(predictions);
        public void OnStarted(TrainingStart start) => Inner.OnStarted(start);
        public void OnProgress(long step, long totalSteps, IReadOnlyList<AdapterLab.Contracts.Messages.MetricPoint> points) => Inner.OnProgress(step, totalSteps, points);
        public void OnCheckpoint(long step, string path) => Inner.OnCheckpoint(step, path);
        public void OnArtifact(long step, string kind, string path) => Artifacts.Add((kind, path));
    }

    private static TrainingOutcome Run(ExperimentSpec spec, ITrainingObserver observer, string? resume = null, string? dataRoot = null, CancellationToken ct = default) =>
        ExperimentTrainer.Run(new TrainingJob { Spec = spec, ResumeCheckpointPath = resume, WorkDirectory = TestPaths.TempDirectory(), Threads = 1, DataRoot = dataRoot }, observer, ct);

    [Fact]
    public void Parameter_counts_match_the_formula_and_the_catalogue()
    {
        Assert.Equal(63_696, TinyDecoder);
        var preset = ModelCatalogue.Get("vit-tiny-ci");
        Assert.Equal(TinyDecoder, ModelCatalogue.MaeDecoderParameters(preset));
        var count = ModelCatalogue.Count(Mae());
        Assert.Equal(458_592 + TinyDecoder, count.Trainable);
        Assert.Equal(458_592 + TinyDecoder, count.Total);

        using var run = new MaeRun(MaePlan.From(Mae(), null), new TrainingJob { Spec = Mae(), WorkDirectory = TestPaths.TempDirectory(), Threads = 1 });
        Assert.Equal(458_592 + TinyDecoder, run.TrainableParameters);
        Assert.Equal(run.TrainableParameters, run.TotalParameters);
    }

    [Fact]
    public void A_hidden_patch_never_reaches_the_encoder()
    {
        using var run = new MaeRun(MaePlan.From(Mae(), null), new TrainingJob { Spec = Mae(), WorkDirectory = TestPaths.TempDirectory(), Threads = 1 });
        var model = run.Model;
        model.eval();
        Assert.Equal(16, model.VisibleCount); // 75 % of the 64 patches of a 32² image at patch 4 are hidden
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(11, torch.CPU);
        var images = torch.rand(2, 3, 32, 32, generator: generator) * 2 - 1;
        var mask = model.DrawMasks(2, generator, torch.CPU);
        Assert.Equal(48.0f, mask.Hidden.sum(1)[0].item<float>());

        // Overwrite every hidden patch with noise: the encoding is bit-identical. Touch one visible patch: it changes.
        var patches = MaskedAutoencoder.Patchify(images, 4);
        var hidden = mask.Hidden.unsqueeze(-1);
        var scrambled = MaskedAutoencoder.Unpatchify(patches * (1 - hidden) + hidden * (torch.rand(patches.shape, generator: generator) * 7), 4, 32);
        Assert.True(MaskedAutoencoder.Unpatchify(patches, 4, 32).allclose(images, rtol: 0, atol: 0), "unpatchify inverts patchify");
        using (torch.no_grad())
        {
            var before = model.Encoder.EncodeVisible(images, mask.Visible);
            var after = model.Encoder.EncodeVisible(scrambled, mask.Visible);
            Assert.Equal(new long[] { 2, 17, 96 }, before.shape);
            Assert.True(before.allclose(after, rtol: 0, atol: 0), "a hidden patch changed the encoder's output");
            long visible = mask.Visible[0, 0].item<long>();
            var touched = patches.clone();
            touched[0, visible] += 0.5f;
            var moved = model.Encoder.EncodeVisible(MaskedAutoencoder.Unpatchify(touched, 4, 32), mask.Visible);
            Assert.False(before.allclose(moved, rtol: 0, atol: 0), "a visible patch did not reach the encoder");
        }
    }

    [Fact]
    public void The_loss_falls_and_reconstructions_beat_the_image_blind_prior_and_the_backbone_has_no_decoder()
    {
        var observer = new Observer();
        var outcome = Run(Mae(steps: 60, evalInterval: 20) with { Training = Mae().Training with { Steps = 60, EvalInterval = 20, BatchSize = 32, LearningRate = 1e-3 } }, observer);

        var losses = observer.Inner.Losses.Select(l => l.Loss).ToList();
        Assert.Equal(60, losses.Count);
        Assert.True(losses.TakeLast(10).Average() < 0.9 * losses.Take(10).Average(), $"train loss {losses.Take(10).Average():F3} → {losses.TakeLast(10).Average():F3}");
        var validation = observer.Inner.Points.Where(p => p is { Split: "validation", Name: MaeRun.Metric }).Select(p => (p.Step, p.Value)).ToList();
        Assert.Equal([20L, 40L, 60L], validation.Select(v => v.Step));
        Assert.True(validation[^1].Value < validation[0].Value, $"validation reconstruction error {validation[0].Value:F3} → {validation[^1].Value:F3}");
        var final = outcome.Results.Single(r => r is { Split: "validation", Metric: MaeRun.Metric });
        var floor = outcome.Floors.Single(r => r.Split == "validation" && r.Metric == Floors.MetricOf(MaeRun.Metric));
        Assert.True(final.Value < floor.Value, $"reconstruction {final.Value:F3} vs the image-blind prior {floor.Value:F3}");
        // Per-image parts stored for intervals add up to the reported values, for the model and the prior alike.
        var stored = observer.Predictions.Where(p => p.Step == 60 && p.Split == "validation").ToList();
        Assert.Equal(final.Value, AdapterLab.Contracts.Predictions.DenseMetricParts.Value(MaeRun.Metric, stored.Single(p => p.Predictor == EvaluationPredictions.ModelPredictor).MetricParts![MaeRun.Metric]), 4);
        Assert.Equal(floor.Value, AdapterLab.Contracts.Predictions.DenseMetricParts.Value(MaeRun.Metric, stored.Single(p => p.Predictor != EvaluationPredictions.ModelPredictor).MetricParts![MaeRun.Metric]), 4);
        // The prior is never worse than flat patches, which score (n − 1)/n of a patch's n = 48 values.
        Assert.True(floor.Value <= 47.0 / 48 + 1e-3, $"prior {floor.Value:F4}");

        using (var backbone = SafetensorsReader.Open(outcome.BackboneWeightsPath!))
        {
            Assert.DoesNotContain(backbone.Tensors, t => t.Name.StartsWith("decoder", StringComparison.Ordinal) || t.Name.StartsWith("head", StringComparison.Ordinal));
            Assert.Equal("mae", backbone.Metadata["method"]);
            using var vit = new VisionTransformer(new VisionTransformerOptions(ModelCatalogue.Get("vit-tiny-ci"), 32, 4));
            ViTWeights.Load(vit, outcome.BackboneWeightsPath!, includeHead: false);
        }
        var gallery = Assert.Single(observer.Artifacts);
        Assert.Equal("gallery", gallery.Kind);
        using var zip = System.IO.Compression.ZipFile.OpenRead(gallery.Path);
        Assert.Contains(zip.Entries, e => e.FullName.EndsWith("reconstruction-prediction.png", StringComparison.Ordinal));
    }

    [Fact]
    public void A_cancelled_and_resumed_run_matches_an_uninterrupted_one()
    {
        var spec = Mae(steps: 6);
        var full = Run(spec, new Observer());
        using var cancel = new CancellationTokenSource();
        var cancelled = Run(spec, new Observer(cancel, 3), ct: cancel.Token);
        Assert.True(cancelled.Cancelled);
        var resumed = Run(spec, new Observer(), resume: cancelled.CheckpointPath);
        Assert.Equal(full.Results, resumed.Results);
        using var a = SafetensorsReader.Open(full.BackboneWeightsPath!);
        using var b = SafetensorsReader.Open(resumed.BackboneWeightsPath!);
        foreach (var t in a.Tensors)
            Assert.True(a.ReadRaw(t.Name).AsSpan().SequenceEqual(b.ReadRaw(t.Name)), $"{t.Name} differs");
    }

    [Fact]
    public void A_plain_folder_of_images_without_class_folders_pretrains()
    {
        var root = TestPaths.TempDirectory();
        var dir = Path.Combine(root, "unlabelled");
        Directory.CreateDirectory(dir);
        var random = new Random(3);
        for (int i = 0; i < 40; i++)
            FolderImages.WritePng(Path.Combine(dir, $"img{i:D3}.png"), FolderImages.Solid(20, 20, (byte)random.Next(256), 90, 40, random, noise: 40), 20, 20);
        var spec = Mae(steps: 2) with { Data = new DataSpec { Dataset = AdapterLab.Contracts.Specs.Datasets.Folder, Path = "unlabelled" } };
        Assert.Empty(SpecValidator.Validate(spec));
        var outcome = Run(spec, new Observer(), dataRoot: root);
        Assert.Contains(outcome.Results, r => r is { Split: "test", Metric: MaeRun.Metric, Domain: "unlabelled" } && double.IsFinite(r.Value));
    }

    [Fact]
    public void The_validator_names_mae_fields()
    {
        var errors = SpecValidator.Validate(Mae() with { Method = new MethodSpec { Name = Methods.Mae, MaskRatio = 1.2 }, Data = Mae().Data with { LabelFamily = "largest-shape" } });
        Assert.Contains("method.maskRatio", errors.Keys);
        Assert.Contains("data.labelFamily", errors.Keys);
        Assert.Contains("method.maskRatio", SpecValidator.Validate(Specs.Pretrain() with { Method = new MethodSpec { Name = Methods.Supervised, MaskRatio = 0.5 } }).Keys);
        Assert.Contains("method.name", SpecValidator.Validate(Specs.Adapt(Methods.Mae)).Keys);
    }
}
