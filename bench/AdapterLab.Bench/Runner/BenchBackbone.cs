using System.Text.Json;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Bench.Runner;

/// <summary>
/// The pretrained backbone the report scenarios (adapters, multitask) share: one supervised pretrain per preset on
/// ShapesWorld <c>synthetic</c> / <c>largest-shape</c>, registered under a fixed name and keyed in its own ledger
/// (<c>.ledger/backbones.json</c>), so every report builds on the same frozen weights and it is trained once.
/// </summary>
public static class BenchBackbone
{
    public sealed record Pretrained(string Name, string Preset, int Steps, int BatchSize, JsonElement Experiment);

    public static async Task<Pretrained> EnsureAsync(PlatformClient client, string resultsDir, bool quick, CancellationToken ct)
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
        var ledger = new RunLedger(Path.Combine(resultsDir, ".ledger", "backbones.json"));
        Console.WriteLine($"[backbone] {name}: pretrain {preset}, {steps} steps × {batchSize} (reused if already trained)");
        var done = await new ExperimentBatch(client, ledger).RunAsync([(name, spec)], ct);
        return new Pretrained(name, preset, steps, batchSize, done[name]);
    }
}
