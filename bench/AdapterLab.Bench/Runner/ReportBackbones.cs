using System.Text.Json;
using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Bench.Runner;

/// <summary>
/// The reports' gated backbones (ml-spec, the backbones issue), each pretrained once on the platform and registered
/// under its own name, which every report asks the platform for before training it again:
/// <list type="bullet">
/// <item><c>stream-supervised</c>: <c>vit-tiny-ci</c> on the ShapesWorld stream of fresh scenes with three label heads
/// (largest, topmost, leftmost shape), fog and the downstream label families held out;</item>
/// <item><c>stream-mae</c>: masked autoencoding on the same stream;</item>
/// <item><c>mnist-mae</c>: masked autoencoding on the imported MNIST digits' training split, no labels.</item>
/// </list>
/// </summary>
public static class ReportBackbones
{
    public const string Preset = "vit-tiny-ci";
    public const string HeldOutDomain = ShapesWorldCatalogue.DefaultHeldOutDomain;

    public sealed record Backbone(string Key, string Label, ExperimentSpec Spec)
    {
        public BackboneSpec Named => new() { Preset = Preset, Source = BackboneSources.Named, Name = Spec.Backbone.RegisterAs };
    }

    public static BackboneSpec Random => new() { Preset = Preset, Source = BackboneSources.Random };

    public static IReadOnlyList<Backbone> All(bool quick)
    {
        string suffix = quick ? "-quick" : "";
        int supervisedSteps = quick ? 200 : 4000, streamSteps = quick ? 200 : 1500, maeDigitSteps = quick ? 150 : 1000;
        TrainingSpec Pretraining(int steps) => new() { Steps = steps, BatchSize = 64, LearningRate = 1e-3, WarmupSteps = steps / 10, EvalInterval = steps / 4, CheckpointInterval = steps / 4, Seed = 1 };
        return
        [
            new("stream-supervised", "ShapesWorld stream, supervised (3 heads)", new()
            {
                Name = "bench: pretrain on the ShapesWorld stream, supervised, three label heads", Kind = Kinds.Pretrain,
                Backbone = new BackboneSpec { Preset = Preset, Source = BackboneSources.Random, RegisterAs = "bench-stream-supervised" + suffix },
                Method = new MethodSpec { Name = Methods.Supervised },
                Data = new DataSpec { LabelFamilies = ["largest-shape", "topmost-shape", "leftmost-shape"], SourceDomain = "synthetic", TargetDomains = [HeldOutDomain], Stream = true },
                Training = Pretraining(supervisedSteps), Tags = ["bench", "backbone"],
            }),
            new("stream-mae", "ShapesWorld stream, MAE", new()
            {
                Name = "bench: pretrain on the ShapesWorld stream, MAE", Kind = Kinds.Pretrain,
                Backbone = new BackboneSpec { Preset = Preset, Source = BackboneSources.Random, RegisterAs = "bench-stream-mae" + suffix },
                Method = new MethodSpec { Name = Methods.Mae },
                Data = new DataSpec { SourceDomain = "synthetic", TargetDomains = [HeldOutDomain], Stream = true },
                Training = Pretraining(streamSteps), Tags = ["bench", "backbone"],
            }),
            new("mnist-mae", "MNIST digits, MAE (no labels)", new()
            {
                Name = "bench: MAE on the imported MNIST digits", Kind = Kinds.Pretrain,
                Backbone = new BackboneSpec { Preset = Preset, Source = BackboneSources.Random, RegisterAs = "bench-mnist-mae" + suffix },
                Method = new MethodSpec { Name = Methods.Mae },
                Data = new DataSpec { Dataset = Datasets.Folder, Path = "mnist" },
                Training = Pretraining(maeDigitSteps), Tags = ["bench", "backbone"],
            }),
        ];
    }

    /// <summary>Each wanted backbone trained (reused when the platform has it under its name), in order; throws when one did not succeed.</summary>
    public static async Task<Dictionary<string, JsonElement>> EnsureAsync(PlatformClient client, IEnumerable<Backbone> wanted, CancellationToken ct)
    {
        var list = wanted.ToList();
        var ids = new List<(Backbone B, Guid Id)>();
        foreach (var b in list) ids.Add((b, await BenchBackbone.ReuseOrSubmitAsync(client, b.Spec, ct)));
        var done = new Dictionary<string, JsonElement>();
        foreach (var (b, id) in ids)
        {
            var e = await client.WaitAsync(id, b.Spec.Backbone.RegisterAs!, ct);
            if (e.GetProperty("status").GetString() != "Succeeded")
                throw new BenchException($"pretraining the backbone '{b.Spec.Backbone.RegisterAs}' ended {e.GetProperty("status").GetString()}: {(e.TryGetProperty("failureReason", out var r) ? r.GetString() : "")}");
            done[b.Key] = e;
        }
        return done;
    }

    /// <summary>Imported MNIST digits are needed: a clear error when they are not there.</summary>
    public static async Task RequireDigitsAsync(PlatformClient client, CancellationToken ct)
    {
        var datasets = await client.GetJsonAsync("api/datasets", ct);
        if (!datasets.EnumerateArray().Any(d => d.GetProperty("path").GetString() == "mnist"))
            throw new BenchException("the MNIST digits are not imported: run ./platform data import mnist (./platform bench does it for the reports that need it)");
    }
}
