using System.Text.Json;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Bench.Runner;

/// <summary>
/// The pretrained backbone the report scenarios (adapters, multitask) share: one supervised pretrain per preset on
/// ShapesWorld <c>synthetic</c> / <c>largest-shape</c>, registered under a fixed name, so every report builds on the same
/// frozen weights and it is trained once. Whether it exists is asked of the platform (its backbone registry and the
/// experiment that registers it), never of a local file: a second run, another checkout or a reset database all
/// get the right answer.
/// </summary>
public static class BenchBackbone
{
    public sealed record Pretrained(string Name, string Preset, int Steps, int BatchSize, JsonElement Experiment);

    public static async Task<Pretrained> EnsureAsync(PlatformClient client, bool quick, CancellationToken ct)
    {
        string preset = quick ? "vit-tiny-ci" : "vit-lab-s";
        int steps = quick ? 150 : 500, batchSize = 64;
        string name = $"bench-{preset}{(quick ? "-quick" : "")}";
        var spec = new ExperimentSpec
        {
            Name = $"bench: pretrain {preset}",
            Kind = Kinds.Pretrain,
            Backbone = new BackboneSpec { Preset = preset, Source = BackboneSources.Random, RegisterAs = name },
            Method = new MethodSpec { Name = Methods.Supervised },
            Data = new DataSpec { LabelFamily = "largest-shape", SourceDomain = "synthetic", TrainSize = quick ? 2000 : 10000 },
            Training = new TrainingSpec
            {
                Steps = steps, BatchSize = batchSize, LearningRate = 1e-3, WarmupSteps = steps / 10,
                EvalInterval = steps / 4, CheckpointInterval = steps / 4, Seed = 1,
            },
            Tags = ["bench", "backbone"],
        };
        var id = await ReuseOrSubmitAsync(client, spec, ct);
        var done = await client.WaitAsync(id, name, ct);
        if (done.GetProperty("status").GetString() != "Succeeded")
            throw new BenchException($"pretraining the backbone '{name}' ended {done.GetProperty("status").GetString()}: {(done.TryGetProperty("failureReason", out var r) ? r.GetString() : "")}");
        return new Pretrained(name, preset, steps, batchSize, done);
    }

    /// <summary>
    /// The experiment that registers <paramref name="pretrain"/>'s backbone name on the platform, if one is training or
    /// trained; otherwise submits <paramref name="pretrain"/> (a failed or cancelled one left the name free). Asks the
    /// platform, never a local file.
    /// </summary>
    public static async Task<Guid> ReuseOrSubmitAsync(PlatformClient client, ExperimentSpec pretrain, CancellationToken ct)
    {
        var name = pretrain.Backbone.RegisterAs ?? throw new ArgumentException("the pretrain registers no backbone");
        if (await client.FindBackboneAsync(name, ct) is { } b)
        {
            if (!b.TryGetProperty("sourceExperimentId", out var source) || source.ValueKind != JsonValueKind.String)
                throw new BenchException($"a backbone named '{name}' was imported on this platform, not pretrained from its spec; delete or rename it");
            var status = (await client.GetAsync(source.GetGuid(), ct)).GetProperty("status").GetString();
            if (status is not ("Failed" or "Cancelled"))
            {
                Console.WriteLine($"[backbone] {name}: {(b.GetProperty("ready").GetBoolean() ? "already trained" : "being trained")} by experiment {source.GetGuid()} (reused)");
                return source.GetGuid();
            }
        }
        var id = await client.SubmitAsync(pretrain, ct);
        Console.WriteLine($"[backbone] {name}: pretraining {pretrain.Backbone.Preset}, {pretrain.Training.Steps} steps × {pretrain.Training.BatchSize}, as {id}");
        return id;
    }
}
