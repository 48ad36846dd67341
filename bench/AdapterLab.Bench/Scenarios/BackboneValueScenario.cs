using System.Text;
using System.Text.Json;
using AdapterLab.Bench.Runner;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Bench.Scenarios;

/// <summary>
/// Is a pretrained backbone worth something? Pretrain vit-tiny-ci on ShapesWorld (synthetic, shape of the largest object),
/// then linear-probe a different label family on a different domain (object count, textured) on the pretrained backbone
/// and on a randomly initialised one, several seeds each, through the platform.
/// </summary>
public sealed class BackboneValueScenario(PlatformClient client, string resultsDir, bool quick) : IScenario
{
    public string Name => "backbone-value";

    public async Task RunAsync(CancellationToken ct)
    {
        var ledger = new RunLedger(Path.Combine(resultsDir, ".ledger", Name + ".json"));
        var batch = new ExperimentBatch(client, ledger);
        int pretrainSteps = quick ? 150 : 600, probeSteps = quick ? 60 : 200;
        int[] seeds = quick ? [1, 2] : [1, 2, 3];
        var backboneName = quick ? "bench-vit-tiny-ci-quick" : "bench-vit-tiny-ci";

        var pretrain = new ExperimentSpec
        {
            Name = "bench: pretrain vit-tiny-ci",
            Kind = Kinds.Pretrain,
            Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Random, RegisterAs = backboneName },
            Method = new MethodSpec { Name = Methods.Supervised },
            Data = new DataSpec { LabelFamily = "largest-shape", SourceDomain = "synthetic" },
            Training = new TrainingSpec { Steps = pretrainSteps, BatchSize = 64, LearningRate = 1e-3, WarmupSteps = pretrainSteps / 10, EvalInterval = pretrainSteps / 4, CheckpointInterval = pretrainSteps / 4, Seed = 1 },
            Tags = ["bench", Name],
        };
        Console.WriteLine($"[{Name}] pretraining {backboneName} ({pretrainSteps} steps)");
        var pre = await batch.RunAsync([("pretrain", pretrain)], ct);

        ExperimentSpec Probe(BackboneSpec backbone, int seed) => new()
        {
            Name = $"bench: linear probe ({backbone.Source}) seed {seed}",
            Kind = Kinds.Adapt,
            Backbone = backbone,
            Method = new MethodSpec { Name = Methods.LinearProbe },
            Data = new DataSpec { LabelFamily = "object-count", SourceDomain = "textured", TargetDomains = ["fog"] },
            Training = new TrainingSpec { Steps = probeSteps, BatchSize = 64, Seed = seed },
            Tags = ["bench", Name],
        };
        var runs = new List<(string, ExperimentSpec)>();
        foreach (var seed in seeds)
        {
            runs.Add(($"probe-pretrained-{seed}", Probe(new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Named, Name = backboneName }, seed)));
            runs.Add(($"probe-random-{seed}", Probe(new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Random }, seed)));
        }
        Console.WriteLine($"[{Name}] probing pretrained vs random backbones, {seeds.Length} seeds");
        var probes = await batch.RunAsync(runs, ct);

        var rows = new List<object>();
        var md = new StringBuilder();
        md.AppendLine($"# Backbone value: linear probe on a pretrained vs a random vit-tiny-ci{(quick ? " (quick)" : "")}");
        md.AppendLine();
        md.AppendLine($"Pretrain: ShapesWorld `synthetic`, label family `largest-shape`, {pretrainSteps} steps (test accuracy {Fmt(ExperimentBatch.Result(pre["pretrain"], "test", "synthetic", "accuracy"))}).");
        md.AppendLine($"Probe: label family `object-count`, trained on `textured`, {probeSteps} steps, BatchNorm + linear head on frozen CLS features; seeds {string.Join(", ", seeds)}; test accuracy mean ± std.");
        md.AppendLine();
        md.AppendLine("| domain | pretrained backbone | random backbone | difference | verdict |");
        md.AppendLine("|---|---|---|---|---|");
        var claims = new List<AdapterLab.Statistics.Claim>();
        var floorRows = new List<(string, SeedResults, double?)>();
        foreach (var domain in new[] { "textured", "fog" })
        {
            var p = SeedResults.Of(seeds.Select(s => ExperimentBatch.Result(probes[$"probe-pretrained-{s}"], "test", domain, "accuracy") ?? double.NaN));
            var r = SeedResults.Of(seeds.Select(s => ExperimentBatch.Result(probes[$"probe-random-{s}"], "test", domain, "accuracy") ?? double.NaN));
            var verdict = SeedResults.Verdict(p, r);
            md.AppendLine($"| {domain} | {p} | {r} | {SeedResults.Signed(p.Mean - r.Mean)} | {verdict} |");
            rows.Add(new { domain, pretrained = p, random = r, difference = p.Mean - r.Mean, verdict });
            claims.Add(SeedResults.Better($"`{domain}`: the pretrained backbone's probe beats the random backbone's", p, r));
            floorRows.Add(($"pretrained/{domain}", p, await client.FloorAsync(probes[$"probe-pretrained-{seeds[0]}"], "test", domain, "accuracy", ct)));
        }
        md.AppendLine();
        // The finding with a verdict, gates first (the pretrained probe must clear its floor for the comparison to mean anything).
        var gates = new List<AdapterLab.Statistics.Gate> { SeedResults.FloorGate("the pretrained backbone's probe above the majority-class floor", floorRows) };
        md.AppendLine("## Findings");
        md.AppendLine();
        md.Append(AdapterLab.Statistics.Findings.Markdown(gates, AdapterLab.Statistics.Findings.Judge(gates, claims)));
        md.AppendLine();
        md.AppendLine($"Experiments: pretrain {pre["pretrain"].GetProperty("id")}; probes {string.Join(", ", probes.Values.Select(v => v.GetProperty("id").GetString()))}.");

        var json = JsonSerializer.Serialize(new
        {
            scenario = Name,
            quick,
            machine = Machine.Describe(),
            pretrainSteps,
            probeSteps,
            seeds,
            pretrainTestAccuracy = ExperimentBatch.Result(pre["pretrain"], "test", "synthetic", "accuracy"),
            results = rows,
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true });
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{Name}.json"), json, ct);
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{Name}.md"), md.ToString(), ct);
        Console.WriteLine(md.ToString());
    }

    private static string Fmt(double? v) => v is { } x ? x.ToString("0.000") : "n/a";
}
