using System.Security.Cryptography;
using System.Text.Json;
using AdapterLab.Bench.Runner;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Bench.Tests;

/// <summary>The committed run archive: what a later sitting on a fresh checkout reads instead of training again.</summary>
public sealed class RunArchiveTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "adapterlab-archive-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static ExperimentSpec Spec(BackboneSpec backbone, int seed) => new()
    {
        Name = "probe", Kind = Kinds.Adapt, Backbone = backbone, Method = new MethodSpec { Name = Methods.LinearProbe },
        Data = new DataSpec { LabelFamily = "disc-count", SourceDomain = "fog" }, Training = new TrainingSpec { Steps = 10, Seed = seed },
    };

    private static BackboneSpec Named(string name) => new() { Preset = "vit-tiny-ci", Source = BackboneSources.Named, Name = name };

    /// <summary>An experiment document as the API answers it: the backbone is pinned per attempt (a lost first attempt, then the one that ran).</summary>
    private static JsonElement Experiment(string status, string? backboneBlob) =>
        JsonDocument.Parse(JsonSerializer.Serialize(new
        {
            id = Guid.NewGuid(), status,
            attempts = new[] { new { number = 1, status = "Lost", backboneBlob = (string?)"zzz" }, new { number = 2, status, backboneBlob } },
            results = new[] { new { split = "test", task = "classification", domain = "fog", metric = "accuracy", value = 0.5 } },
        })).RootElement;

    private static PredictionSet Set(string split, string predictor) => new()
    {
        Split = split, Task = Tasks.Classification, Domain = "fog", Predictor = predictor, ExampleIds = ["a", "b", "c"],
        Labels = [0, 1, 2], Predicted = [0, 1, 1], Probabilities = [[1f, 0f, 0f], [0f, 1f, 0f], [0f, 0.4f, 0.6f]],
    };

    [Fact]
    public void A_saved_run_reads_back_in_a_new_archive_with_only_its_test_predictions_and_no_probabilities()
    {
        var spec = Spec(ReportBackbones.Random, 1);
        var json = SpecJson.Serialize(spec);
        var predictions = new PredictionsFile { Step = 10, Sets = [Set("validation", "model"), Set("test", "model"), Set("test", "floor:majority-class")] };
        new RunArchive(_root, "adapters").Save("A|random|linear-probe|x1|s1", json, Experiment("Succeeded", null), predictions, 0.25,
            new() { ["affinity"] = JsonDocument.Parse("[1,2]").RootElement });

        var record = new RunArchive(_root, "adapters").Find("A|random|linear-probe|x1|s1");
        Assert.NotNull(record);
        Assert.Equal(json, record.Spec);
        Assert.Equal(0.25, record.BranchRatio);
        Assert.Equal("[1,2]", record.Extras!["affinity"].GetRawText());
        Assert.Equal(0.5, ExperimentBatch.Result(record.Experiment, "test", "fog", "accuracy"));
        Assert.All(record.Predictions!.Sets, s => Assert.Equal("test", s.Split));
        Assert.Equal(["model", "floor:majority-class"], record.Predictions.Sets.Select(s => s.Predictor));
        Assert.All(record.Predictions.Sets, s => Assert.Null(s.Probabilities));
        Assert.Equal([0, 1, 1], record.Predictions.Sets[0].Predicted!);
        Assert.Null(new RunArchive(_root, "adapters").Find("A|random|linear-probe|x1|s2"));
        Assert.Null(new RunArchive(_root, "multitask").Find("A|random|linear-probe|x1|s1"));
    }

    [Fact]
    public void A_record_is_reused_only_for_the_same_spec_and_the_same_backbone_weights()
    {
        var blobs = new Dictionary<string, string> { ["bench-stream"] = "aaa" };
        var named = Spec(Named("bench-stream"), 1);
        var record = new RunArchive.Record { Key = "k", Spec = SpecJson.Serialize(named), Experiment = Experiment("Succeeded", "aaa") };
        Assert.True(RunArchive.Reusable(record, named, SpecJson.Serialize(named), blobs));

        // Another spec (a seed, a step count): trains again.
        var other = Spec(Named("bench-stream"), 2);
        Assert.False(RunArchive.Reusable(record, other, SpecJson.Serialize(other), blobs));
        // Queued at another priority: the same run (scheduling changes nothing it trains).
        var urgent = named with { Priority = 10 };
        Assert.True(RunArchive.Reusable(record, urgent, SpecJson.Serialize(urgent), blobs));
        // The platform holds other weights under that name (a backbone pretrained again): trains again.
        Assert.False(RunArchive.Reusable(record, named, SpecJson.Serialize(named), new Dictionary<string, string> { ["bench-stream"] = "bbb" }));
        Assert.False(RunArchive.Reusable(record, named, SpecJson.Serialize(named), new Dictionary<string, string>()));
        // Only a succeeded run stands for a result.
        Assert.False(RunArchive.Reusable(record with { Experiment = Experiment("Failed", "aaa") }, named, SpecJson.Serialize(named), blobs));

        // A random backbone has no weights to match: the spec (its seed) is the whole identity.
        var random = Spec(ReportBackbones.Random, 1);
        var randomRecord = new RunArchive.Record { Key = "k", Spec = SpecJson.Serialize(random), Experiment = Experiment("Succeeded", null) };
        Assert.True(RunArchive.Reusable(randomRecord, random, SpecJson.Serialize(random), blobs));
    }

    [Fact]
    public async Task An_archived_backbone_is_found_with_the_sha256_of_its_weights_and_shared_by_the_reports()
    {
        var weights = RandomNumberGenerator.GetBytes(4096);
        var pretraining = JsonDocument.Parse("""{"id":"01a2","status":"Succeeded"}""").RootElement;
        await new RunArchive(_root, "adapters").SaveBackboneAsync("bench-mnist-mae", pretraining, new MemoryStream(weights), CancellationToken.None);

        var found = new RunArchive(_root, "backbone-value").FindBackbone("bench-mnist-mae");
        Assert.NotNull(found);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(weights)), found.Value.Sha256);
        Assert.Equal("Succeeded", found.Value.Pretraining.GetProperty("status").GetString());
        Assert.Null(new RunArchive(_root, "adapters").FindBackbone("bench-stream-supervised"));
    }

    [Fact]
    public void Keys_with_spaces_bars_and_non_ascii_map_to_distinct_plain_file_names()
    {
        var archive = new RunArchive(_root, "adapters");
        var a = archive.RunPath("A|stream-supervised|adaptformer d̂=8 parallel|x1|s1");
        var b = archive.RunPath("A|stream-supervised|adaptformer d̂=8 parallel|x1|s2");
        Assert.NotEqual(a, b);
        Assert.Matches("^[0-9a-f]{20}\\.json\\.gz$", Path.GetFileName(a));
    }
}
