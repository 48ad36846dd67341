using System.IO.Compression;
using System.Text.Json;
using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training;
using AdapterLab.Training.Api;
using AdapterLab.Training.Artifacts;
using AdapterLab.Training.Datasets.ShapesWorld;
using AdapterLab.Training.Multitask;
using AdapterLab.Training.Serving;
using TorchSharp;
using Xunit;

namespace AdapterLab.Inference.Tests;

/// <summary>
/// Dense multitask models served for prediction: a short real run on the golden backbone exports its weights and a
/// gallery of its own predictions at the last step; the served model, rebuilt from the backbone file and the exported
/// weights only, must render those same test images' maps byte for byte — and through the batcher too.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class DenseServingTests
{
    private const string Sha = "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";

    private static ExperimentSpec Spec(string method) => new()
    {
        Kind = Kinds.Multitask,
        Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Named, Name = "test-backbone" },
        Method = new MethodSpec { Name = method, AdapterBlocks = method == Methods.Vtagml ? 1 : null },
        Tasks = [Tasks.Segmentation, Tasks.Depth, Tasks.Normals, Tasks.Edges],
        Data = new DataSpec { Setting = Settings.Multitask, TrainSize = 16, ValidationSize = 4, TestSize = 4 },
        Training = new TrainingSpec { Steps = 3, BatchSize = 4, Seed = 3, EvalInterval = 3, CheckpointInterval = 3 },
    };

    private sealed class GalleryObserver : ITrainingObserver
    {
        public string? Gallery { get; private set; }
        public void OnStarted(TrainingStart start) { }
        public void OnProgress(long step, long totalSteps, IReadOnlyList<MetricPoint> points) { }
        public void OnCheckpoint(long step, string path) { }
        public void OnArtifact(long step, string kind, string path)
        {
            if (kind == "gallery") Gallery = path;
        }
    }

    private static (MultitaskPlan Plan, string Weights, string Gallery) Train(string method)
    {
        var spec = Spec(method);
        var observer = new GalleryObserver();
        var work = Path.Combine(Path.GetTempPath(), "adapterlab-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        var outcome = ExperimentTrainer.Run(new TrainingJob { Spec = spec, BackboneWeightsPath = TrainedAdapters.GoldenBackbone, WorkDirectory = work, Threads = 1 }, observer, CancellationToken.None);
        Assert.NotNull(outcome.OutputWeightsPath);
        Assert.NotNull(observer.Gallery);
        return (MultitaskPlan.From(spec), outcome.OutputWeightsPath!, observer.Gallery!);
    }

    [Theory]
    [InlineData(Methods.Vtagml)]
    [InlineData(Methods.MultitaskShared)]
    public async Task A_served_dense_model_renders_its_runs_own_gallery_predictions_byte_for_byte(string method)
    {
        var (plan, weights, gallery) = Train(method);
        using var served = ServedDenseModel.Load("m@v1", plan, TrainedAdapters.GoldenBackbone, weights, Sha, torch.CPU);
        // The serving path too: a second copy owned by a batcher's cache, asked one request per image.
        await using var batcher = new PredictionBatcher(new AdapterCache(
            new OneDense(ServedDenseModel.Load("m@v1", plan, TrainedAdapters.GoldenBackbone, weights, Sha, torch.CPU)), long.MaxValue), TimeSpan.FromMilliseconds(1));
        Assert.Equal([Tasks.Segmentation, Tasks.Depth, Tasks.Normals, Tasks.Edges], served.Tasks);

        using var zip = ZipFile.OpenRead(gallery);
        var manifest = JsonDocument.Parse(zip.GetEntry("manifest.json")!.Open()).RootElement;
        var items = manifest.GetProperty("items").EnumerateArray().ToList();
        Assert.NotEmpty(items);
        var data = new DenseData(plan, null);
        int compared = 0;
        foreach (var item in items)
        {
            var split = data.Get(item.GetProperty("domain").GetString()!, DataSplit.Test);
            int index = item.GetProperty("index").GetInt32();
            using var pixels = split.ImagesTensor([index], torch.CPU);
            var maps = served.Predict(pixels)[0];
            var viaBatcher = Assert.Single(await batcher.PredictDenseAsync("m@v1", pixels.data<float>().ToArray(), 1));
            foreach (var task in served.Tasks)
            {
                var expected = Read(zip, item.GetProperty("tasks").GetProperty(task).GetProperty("prediction").GetString()!);
                Assert.Equal(expected, Gallery.RenderPng(task, maps[task], plan.ImageSize));
                Assert.Equal(maps[task], viaBatcher[task]);
                Assert.Equal(task == Tasks.Normals ? 3 : 1, maps[task].Length / (plan.ImageSize * plan.ImageSize));
                compared++;
            }
        }
        Assert.True(compared >= 4);
    }

    /// <summary>A source holding one dense model, handed to the cache (which disposes what it holds) on first load.</summary>
    private sealed class OneDense(ServedDenseModel model) : IServingSource
    {
        public ServedBackbone LoadBackbone(string sha256) => throw new KeyNotFoundException(sha256);
        public ServedAdapter LoadAdapter(string key) => throw new KeyNotFoundException(key);
        public ServedDenseModel LoadDense(string key) => key == model.Key ? model : throw new KeyNotFoundException(key);
    }

    /// <summary>A source with the golden backbone and one dense model on it.</summary>
    private sealed class BackboneAndDense(MultitaskPlan plan, ServedDenseModel model) : IServingSource
    {
        public ServedBackbone LoadBackbone(string sha256) => ServedBackbone.Load(plan.Preset, plan.ImageSize, TrainedAdapters.GoldenBackbone, sha256, torch.CPU);
        public ServedAdapter LoadAdapter(string key) => throw new KeyNotFoundException(key);
        public ServedDenseModel LoadDense(string key) => key == model.Key ? model : throw new KeyNotFoundException(key);
    }

    [Theory]
    [InlineData(Methods.Vtagml)]
    [InlineData(Methods.MultitaskShared)]
    public void A_dense_model_on_a_held_backbone_shares_its_tensors_and_predicts_the_same(string method)
    {
        var (plan, weights, _) = Train(method);
        using var alone = ServedDenseModel.Load("m@v1", plan, TrainedAdapters.GoldenBackbone, weights, Sha, torch.CPU);
        using var cache = new AdapterCache(new BackboneAndDense(plan, ServedDenseModel.Load("m@v1", plan, TrainedAdapters.GoldenBackbone, weights, Sha, torch.CPU)), long.MaxValue);
        var backbone = cache.Backbone(Sha);
        var shared = cache.Dense("m@v1");

        // The whole frozen encoder is the backbone's storage now: the model holds only what it trained.
        Assert.Equal(alone.Bytes - backbone.Bytes, shared.Bytes);
        Assert.Equal(shared.Bytes, cache.HeldBytes);
        // A backbone file other than the model's shares nothing.
        using var other = ServedBackbone.Load(plan.Preset, plan.ImageSize, TrainedAdapters.GoldenBackbone, new string('e', 64), torch.CPU);
        using var third = ServedDenseModel.Load("m@v2", plan, TrainedAdapters.GoldenBackbone, weights, Sha, torch.CPU);
        Assert.Equal(0, third.ShareBackbone(other));

        using var pixels = torch.rand(2, 3, plan.ImageSize, plan.ImageSize, generator: new torch.Generator(7));
        var expected = alone.Predict(pixels);
        var actual = shared.Predict(pixels);
        for (int i = 0; i < 2; i++)
            foreach (var task in alone.Tasks) Assert.Equal(expected[i][task], actual[i][task]);
    }

    private static byte[] Read(ZipArchive zip, string name)
    {
        using var s = zip.GetEntry(name)!.Open();
        using var buffer = new MemoryStream();
        s.CopyTo(buffer);
        return buffer.ToArray();
    }

    [Fact]
    public void Methods_that_change_the_encoder_are_not_served_as_dense_models()
    {
        var plan = MultitaskPlan.From(Spec(Methods.MultitaskFinetune));
        var ex = Assert.Throws<ArgumentException>(() => ServedDenseModel.Load("m@v1", plan, TrainedAdapters.GoldenBackbone, "unused", Sha, torch.CPU));
        Assert.Contains("whole encoder", ex.Message);
    }

    [Fact]
    public async Task A_dense_request_with_the_wrong_number_of_values_fails_alone()
    {
        var (plan, weights, _) = Train(Methods.MultitaskShared);
        var model = ServedDenseModel.Load("m@v1", plan, TrainedAdapters.GoldenBackbone, weights, Sha, torch.CPU);
        await using var batcher = new PredictionBatcher(new AdapterCache(new OneDense(model), long.MaxValue), TimeSpan.FromMilliseconds(50));
        int per = 3 * plan.ImageSize * plan.ImageSize;
        var good = batcher.PredictDenseAsync("m@v1", new float[2 * per], 2);
        var bad = batcher.PredictDenseAsync("m@v1", new float[per + 1], 1);
        Assert.Equal(2, (await good).Count);
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => bad);
        Assert.Contains("need", ex.Message);
    }
}
