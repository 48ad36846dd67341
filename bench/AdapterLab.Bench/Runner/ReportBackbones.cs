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
        int supervisedSteps = quick ? 200 : 8000, streamSteps = quick ? 200 : 1500, maeDigitSteps = quick ? 150 : 6000;
        // A smoke run's backbones jump a full report's queue, as its runs do.
        int priority = quick ? Scenarios.Multitask.MultitaskScenario.SmokePriority : 0;
        TrainingSpec Pretraining(int steps) => new() { Steps = steps, BatchSize = 64, LearningRate = 1e-3, WarmupSteps = steps / 10, EvalInterval = steps / 4, CheckpointInterval = steps / 4, Seed = 1 };
        return
        [
            new("stream-supervised", "ShapesWorld stream, supervised (3 heads)", new()
            {
                Name = "bench: pretrain on the ShapesWorld stream, supervised, three label heads", Kind = Kinds.Pretrain,
                Backbone = new BackboneSpec { Preset = Preset, Source = BackboneSources.Random, RegisterAs = "bench-stream-supervised-v2" + suffix },
                Method = new MethodSpec { Name = Methods.Supervised },
                Data = new DataSpec { LabelFamilies = ["largest-shape", "topmost-shape", "leftmost-shape"], SourceDomain = "synthetic", TargetDomains = [HeldOutDomain], Stream = true },
                Training = Pretraining(supervisedSteps), Tags = ["bench", "backbone"], Priority = priority,
            }),
            new("stream-mae", "ShapesWorld stream, MAE", new()
            {
                Name = "bench: pretrain on the ShapesWorld stream, MAE", Kind = Kinds.Pretrain,
                Backbone = new BackboneSpec { Preset = Preset, Source = BackboneSources.Random, RegisterAs = "bench-stream-mae" + suffix },
                Method = new MethodSpec { Name = Methods.Mae },
                Data = new DataSpec { SourceDomain = "synthetic", TargetDomains = [HeldOutDomain], Stream = true },
                Training = Pretraining(streamSteps), Tags = ["bench", "backbone"], Priority = priority,
            }),
            new("mnist-mae", "MNIST digits, MAE (no labels)", new()
            {
                Name = "bench: MAE on the imported MNIST digits", Kind = Kinds.Pretrain,
                Backbone = new BackboneSpec { Preset = Preset, Source = BackboneSources.Random, RegisterAs = "bench-mnist-mae-v2" + suffix },
                Method = new MethodSpec { Name = Methods.Mae },
                Data = new DataSpec { Dataset = Datasets.Folder, Path = "mnist" },
                Training = Pretraining(maeDigitSteps), Tags = ["bench", "backbone"], Priority = priority,
            }),
        ];
    }

    /// <summary>The wanted backbones: each one's pretraining document (by key) and the sha256 of its weights (by registered name).</summary>
    public sealed record Ensured(Dictionary<string, JsonElement> Pretrained, Dictionary<string, string> Blobs);

    /// <summary>
    /// Each wanted backbone ready on the platform, in order; throws when one did not succeed. A backbone the platform
    /// lacks is imported from the archive when an earlier sitting archived it (its runs stay reusable: same weights, same
    /// hash); otherwise it is pretrained (reused when the platform has it under its name) and archived once ready.
    /// </summary>
    public static async Task<Ensured> EnsureAsync(PlatformClient client, IEnumerable<Backbone> wanted, RunArchive archive, CancellationToken ct)
    {
        var list = wanted.ToList();
        var done = new Dictionary<string, JsonElement>();
        var blobs = new Dictionary<string, string>();
        var training = new List<(Backbone B, Guid Id)>();
        foreach (var b in list)
        {
            var name = b.Spec.Backbone.RegisterAs!;
            var onPlatform = await client.FindBackboneAsync(name, ct);
            if (archive.FindBackbone(name) is { } archived)
            {
                if (onPlatform is null)
                {
                    Console.WriteLine($"[backbone] {name}: imported from the archive ({archive.BackboneWeightsPath(name)})");
                    await client.ImportBackboneAsync(name, Preset, archive.BackboneWeightsPath(name), ct);
                    onPlatform = await client.FindBackboneAsync(name, ct);
                }
                if (onPlatform is { } p && p.GetProperty("blob").GetString() == archived.Sha256)
                {
                    done[b.Key] = archived.Pretraining;
                    blobs[name] = archived.Sha256;
                    continue;
                }
            }
            training.Add((b, await BenchBackbone.ReuseOrSubmitAsync(client, b.Spec, ct)));
        }
        foreach (var (b, id) in training)
        {
            var name = b.Spec.Backbone.RegisterAs!;
            var e = await client.WaitAsync(id, name, ct);
            if (e.GetProperty("status").GetString() != "Succeeded")
                throw new BenchException($"pretraining the backbone '{name}' ended {e.GetProperty("status").GetString()}: {(e.TryGetProperty("failureReason", out var r) ? r.GetString() : "")}");
            var blob = (await client.FindBackboneAsync(name, ct))?.GetProperty("blob").GetString()
                       ?? throw new BenchException($"the backbone '{name}' succeeded but is not registered with weights");
            using (var weights = new MemoryStream())
            {
                await client.DownloadBlobAsync(id, blob, weights, ct);
                weights.Position = 0;
                await archive.SaveBackboneAsync(name, e, weights, ct);
            }
            done[b.Key] = e;
            blobs[name] = blob;
        }
        return new Ensured(list.ToDictionary(b => b.Key, b => done[b.Key]), blobs);
    }

    /// <summary>Imported MNIST digits are needed: a clear error when they are not there.</summary>
    public static async Task RequireDigitsAsync(PlatformClient client, CancellationToken ct)
    {
        var datasets = await client.GetJsonAsync("api/datasets", ct);
        if (!datasets.EnumerateArray().Any(d => d.GetProperty("path").GetString() == "mnist"))
            throw new BenchException("the MNIST digits are not imported: run ./platform data import mnist (./platform bench does it for the reports that need it)");
    }
}
