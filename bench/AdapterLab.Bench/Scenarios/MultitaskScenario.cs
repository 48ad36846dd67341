using System.Text;
using System.Text.Json;
using AdapterLab.Bench.Runner;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Bench.Scenarios;

/// <summary>
/// Multitask report (issue 5) through the platform: pretrain vit-lab-s on ShapesWorld, then S-D-N-E on the source domain
/// with vtagml, multitask-shared, multitask-finetune and single-task per task (per-task test metrics and trainable
/// parameters, seeds); each estimator's final matrix with its asymmetry, whether off-diagonal entries rank the same across
/// seeds, troa vs tag-lookahead agreement (Spearman on off-diagonals); domain adaptation (adversarial) vs source-only
/// (domain-generalization) on the fog target. Not covered yet: the shuffled-task-label control.
/// </summary>
public sealed class MultitaskScenario(PlatformClient client, string resultsDir, bool quick) : IScenario
{
    public string Name => "multitask";
    private static readonly string[] AllTasks = [Tasks.Segmentation, Tasks.Depth, Tasks.Normals, Tasks.Edges];
    private static readonly (string Task, string Metric)[] Metrics = [(Tasks.Segmentation, "miou"), (Tasks.Depth, "rmse"), (Tasks.Depth, "delta1"), (Tasks.Normals, "angular-error"), (Tasks.Edges, "l1")];

    public async Task RunAsync(CancellationToken ct)
    {
        var ledger = new RunLedger(Path.Combine(resultsDir, ".ledger", Name + ".json"));
        var batch = new ExperimentBatch(client, ledger);
        string preset = quick ? "vit-tiny-ci" : "vit-lab-s";
        int pretrainSteps = quick ? 150 : 600, steps = quick ? 40 : 300, eval = quick ? 10 : 50;
        int[] seeds = quick ? [1, 2] : [1, 2, 3];
        string backbone = $"bench-{preset}-mt{(quick ? "-quick" : "")}";
        var pre = await batch.RunAsync([("pretrain", new ExperimentSpec
        {
            Name = $"bench: pretrain {preset}", Kind = Kinds.Pretrain,
            Backbone = new BackboneSpec { Preset = preset, Source = BackboneSources.Random, RegisterAs = backbone },
            Method = new MethodSpec { Name = Methods.Supervised },
            Data = new DataSpec { LabelFamily = "largest-shape", SourceDomain = "synthetic" },
            Training = new TrainingSpec { Steps = pretrainSteps, BatchSize = 64, LearningRate = 1e-3, WarmupSteps = pretrainSteps / 10, Seed = 1 },
            Tags = ["bench", Name],
        })], ct);

        ExperimentSpec Dense(string method, string[] tasks, string setting, int seed, string[]? targets = null, string? adaptation = null) => new()
        {
            Name = $"bench: {method} {string.Join("-", tasks)} {setting} seed {seed}", Kind = Kinds.Multitask,
            Backbone = new BackboneSpec { Preset = preset, Source = BackboneSources.Named, Name = backbone },
            Method = new MethodSpec { Name = method },
            Tasks = tasks,
            Data = new DataSpec { Setting = setting, SourceDomain = "synthetic", TargetDomains = targets ?? ["fog"], Adaptation = adaptation, TrainSize = quick ? 256 : null, ValidationSize = quick ? 64 : 200, TestSize = quick ? 64 : 300 },
            Training = new TrainingSpec { Steps = steps, BatchSize = 32, EvalInterval = eval, Seed = seed },
            Tags = ["bench", Name],
        };
        var runs = new List<(string, ExperimentSpec)>();
        foreach (var seed in seeds)
        {
            foreach (var m in new[] { Methods.Vtagml, Methods.MultitaskShared, Methods.MultitaskFinetune })
                runs.Add(($"{m}-{seed}", Dense(m, AllTasks, Settings.DomainGeneralization, seed)));
            foreach (var t in AllTasks) runs.Add(($"single-{t}-{seed}", Dense(Methods.SingleTask, [t], Settings.DomainGeneralization, seed)));
            runs.Add(($"da-{seed}", Dense(Methods.Vtagml, [Tasks.Segmentation, Tasks.Depth], Settings.DomainAdaptation, seed, adaptation: AdaptationModes.Adversarial)));
            runs.Add(($"source-only-{seed}", Dense(Methods.Vtagml, [Tasks.Segmentation, Tasks.Depth], Settings.DomainGeneralization, seed)));
        }
        var done = await batch.RunAsync(runs, ct);

        var md = new StringBuilder();
        md.AppendLine($"# Multitask dense prediction (VTAGML) on {preset}{(quick ? " (quick)" : "")}");
        md.AppendLine();
        md.AppendLine($"Pretrain {pretrainSteps} steps; dense runs {steps} steps, batch 32, seeds {string.Join(", ", seeds)}; test split, mean ± std.");
        md.AppendLine();
        md.AppendLine("| method | trainable | " + string.Join(" | ", Metrics.Select(m => $"{m.Task} {m.Metric}")) + " |");
        md.AppendLine("|---|---|" + string.Concat(Metrics.Select(_ => "---|")));
        foreach (var m in new[] { Methods.Vtagml, Methods.MultitaskShared, Methods.MultitaskFinetune })
        {
            var trainable = done[$"{m}-{seeds[0]}"].GetProperty("trainableParameters").ToString();
            md.AppendLine($"| {m} | {trainable} | " + string.Join(" | ", Metrics.Select(x => Stats.Of(seeds.Select(s => ExperimentBatch.Result(done[$"{m}-{s}"], "test", "synthetic", x.Metric, x.Task) ?? double.NaN)).ToString())) + " |");
        }
        md.AppendLine("| single-task (one run per task) | – | " + string.Join(" | ", Metrics.Select(x => Stats.Of(seeds.Select(s => ExperimentBatch.Result(done[$"single-{x.Task}-{s}"], "test", "synthetic", x.Metric, x.Task) ?? double.NaN)).ToString())) + " |");
        md.AppendLine();

        md.AppendLine("## Affinity (vtagml, final evaluation)");
        var finals = new Dictionary<string, List<double[]>>();
        foreach (var seed in seeds)
        {
            var id = done[$"{Methods.Vtagml}-{seed}"].GetProperty("id").GetString();
            var all = (await client.GetJsonAsync($"/api/experiments/{id}/affinity", ct)).EnumerateArray().ToList();
            foreach (var group in all.GroupBy(a => a.GetProperty("estimator").GetString()!))
            {
                var last = group.MaxBy(a => a.GetProperty("step").GetInt64());
                (finals.TryGetValue(group.Key, out var l) ? l : finals[group.Key] = []).Add(last.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray());
            }
        }
        md.AppendLine();
        md.AppendLine("| estimator | asymmetry ‖A−Aᵀ‖/‖A‖ | off-diagonal rank agreement across seeds (mean Spearman) |");
        md.AppendLine("|---|---|---|");
        foreach (var (est, list) in finals.OrderBy(kv => kv.Key))
        {
            var asym = Stats.Of(list.Select(Asymmetry));
            var pairs = new List<double>();
            for (int a = 0; a < list.Count; a++) for (int b = a + 1; b < list.Count; b++) pairs.Add(Spearman(OffDiagonal(list[a]), OffDiagonal(list[b])));
            md.AppendLine($"| {est} | {asym} | {(pairs.Count == 0 ? "n/a" : pairs.Average().ToString("0.00"))} |");
        }
        if (finals.TryGetValue(Estimators.Troa, out var troa) && finals.TryGetValue(Estimators.TagLookahead, out var tag))
            md.AppendLine($"\ntroa vs tag-lookahead (Spearman on off-diagonals, mean over seeds): {troa.Zip(tag, (x, y) => Spearman(OffDiagonal(x), OffDiagonal(y))).Average():0.00}");
        md.AppendLine();
        md.AppendLine("## Domain adaptation (synthetic → fog, segmentation + depth)");
        md.AppendLine();
        md.AppendLine("| run | fog mIoU | fog depth RMSE | synthetic mIoU |");
        md.AppendLine("|---|---|---|---|");
        foreach (var key in new[] { "source-only", "da" })
            md.AppendLine($"| {key} | {Stats.Of(seeds.Select(s => ExperimentBatch.Result(done[$"{key}-{s}"], "test", "fog", "miou", Tasks.Segmentation) ?? double.NaN))} | {Stats.Of(seeds.Select(s => ExperimentBatch.Result(done[$"{key}-{s}"], "test", "fog", "rmse", Tasks.Depth) ?? double.NaN))} | {Stats.Of(seeds.Select(s => ExperimentBatch.Result(done[$"{key}-{s}"], "test", "synthetic", "miou", Tasks.Segmentation) ?? double.NaN))} |");

        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{Name}.md"), md.ToString(), ct);
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{Name}.json"), JsonSerializer.Serialize(new
        {
            scenario = Name, quick, machine = Machine.Describe(), preset, steps, seeds,
            experiments = done.ToDictionary(kv => kv.Key, kv => kv.Value.GetProperty("id").GetString()),
            pretrain = pre["pretrain"].GetProperty("id").GetString(),
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }), ct);
        Console.WriteLine(md.ToString());
    }

    private static double Asymmetry(double[] v)
    {
        int n = (int)Math.Round(Math.Sqrt(v.Length));
        double diff = 0, norm = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) { diff += Math.Pow(v[i * n + j] - v[j * n + i], 2); norm += v[i * n + j] * v[i * n + j]; }
        return norm == 0 ? 0 : Math.Sqrt(diff / norm);
    }

    private static double[] OffDiagonal(double[] v)
    {
        int n = (int)Math.Round(Math.Sqrt(v.Length));
        return Enumerable.Range(0, v.Length).Where(k => k / n != k % n).Select(k => v[k]).ToArray();
    }

    private static double Spearman(double[] a, double[] b)
    {
        static double[] Ranks(double[] x) { var order = x.Select((v, i) => (v, i)).OrderBy(p => p.v).ToArray(); var r = new double[x.Length]; for (int k = 0; k < order.Length; k++) r[order[k].i] = k; return r; }
        var ra = Ranks(a); var rb = Ranks(b);
        double ma = ra.Average(), mb = rb.Average();
        double num = ra.Zip(rb, (x, y) => (x - ma) * (y - mb)).Sum();
        double den = Math.Sqrt(ra.Sum(x => (x - ma) * (x - ma)) * rb.Sum(y => (y - mb) * (y - mb)));
        return den == 0 ? 0 : num / den;
    }
}
