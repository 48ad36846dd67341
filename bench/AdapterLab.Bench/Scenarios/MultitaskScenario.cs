using System.Text;
using System.Text.Json;
using AdapterLab.Bench.Runner;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Classification;
using AdapterLab.Training.Multitask;

namespace AdapterLab.Bench.Scenarios;

/// <summary>
/// Multitask report (issue 5) through the platform: pretrain vit-lab-s on ShapesWorld, then S-D-N-E on the source domain
/// with vtagml, multitask-shared, multitask-finetune and single-task per task (per-task test metrics and trainable
/// parameters, seeds); each estimator's final matrix with its asymmetry, whether off-diagonal entries rank the same across
/// seeds, troa vs tag-lookahead agreement (Spearman on off-diagonals); domain adaptation (adversarial) vs source-only
/// (domain-generalization) on the fog target, with the generalisation and adaptation gaps against the seed spread; and the
/// shuffled-task-label control (<c>data.shuffleTargets</c>), whose matrices should lose the real runs' structure.
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
        int steps = quick ? 40 : 100, eval = quick ? 10 : 25;
        // The affinity runs again at 3× the budget (not in --quick): does the structure emerge with training?
        int longSteps = quick ? 0 : 300, longEval = 30;
        int[] seeds = quick ? [1, 2] : [1, 2, 3];
        var pre = await BenchBackbone.EnsureAsync(client, quick, ct);
        string backbone = pre.Name;

        ExperimentSpec Dense(string method, string[] tasks, string setting, int seed, string[]? targets = null, string? adaptation = null, bool shuffled = false, bool longer = false) => new()
        {
            Name = $"bench: {method} {string.Join("-", tasks)} {setting}{(shuffled ? " shuffled-targets" : "")}{(longer ? $" {longSteps} steps" : "")} seed {seed}", Kind = Kinds.Multitask,
            Backbone = new BackboneSpec { Preset = preset, Source = BackboneSources.Named, Name = backbone },
            Method = new MethodSpec { Name = method },
            Tasks = tasks,
            Data = new DataSpec { Setting = setting, SourceDomain = "synthetic", TargetDomains = targets ?? ["fog"], Adaptation = adaptation, ShuffleTargets = shuffled ? true : null, TrainSize = quick ? 256 : null, ValidationSize = quick ? 64 : 200, TestSize = quick ? 64 : 300 },
            Training = new TrainingSpec { Steps = longer ? longSteps : steps, BatchSize = 32, EvalInterval = longer ? longEval : eval, Seed = seed },
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
            runs.Add(($"shuffled-{seed}", Dense(Methods.Vtagml, AllTasks, Settings.DomainGeneralization, seed, shuffled: true)));
        }
        if (longSteps > 0)
            foreach (var seed in seeds)
            {
                runs.Add(($"vtagml-long-{seed}", Dense(Methods.Vtagml, AllTasks, Settings.DomainGeneralization, seed, longer: true)));
                runs.Add(($"shuffled-long-{seed}", Dense(Methods.Vtagml, AllTasks, Settings.DomainGeneralization, seed, shuffled: true, longer: true)));
            }
        var done = await batch.RunAsync(runs, ct);
        // A metric of the runs "{key}-{seed}" on the test split of a domain, over the seeds.
        SeedResults R(string key, string domain, string metric, string task) => SeedResults.Of(seeds.Select(x => ExperimentBatch.Result(done[$"{key}-{x}"], "test", domain, metric, task) ?? double.NaN));

        var md = new StringBuilder();
        md.AppendLine($"# Multitask dense prediction (VTAGML) on {preset}{(quick ? " (quick)" : "")}");
        md.AppendLine();
        md.AppendLine($"Pretrain {pre.Steps} steps; dense runs {steps} steps, batch 32, seeds {string.Join(", ", seeds)}; test split, mean ± std.");
        md.AppendLine();
        md.AppendLine("| method | trainable | " + string.Join(" | ", Metrics.Select(m => $"{m.Task} {m.Metric}")) + " |");
        md.AppendLine("|---|---|" + string.Concat(Metrics.Select(_ => "---|")));
        foreach (var m in new[] { Methods.Vtagml, Methods.MultitaskShared, Methods.MultitaskFinetune })
        {
            var trainable = done[$"{m}-{seeds[0]}"].GetProperty("trainableParameters").ToString();
            md.AppendLine($"| {m} | {trainable} | " + string.Join(" | ", Metrics.Select(x => R(m, "synthetic", x.Metric, x.Task).ToString())) + " |");
        }
        long singleTrainable = AllTasks.Sum(t => done[$"single-{t}-{seeds[0]}"].GetProperty("trainableParameters").GetInt64());
        md.AppendLine($"| single-task (one run per task; trainable summed over the 4 runs) | {singleTrainable} | " + string.Join(" | ", Metrics.Select(x => R($"single-{x.Task}", "synthetic", x.Metric, x.Task).ToString())) + " |");
        md.AppendLine();

        // ml-spec finding 3: the adapters against the frozen-encoder baseline and against full multitask fine-tuning.
        long Trainable(string m) => done[$"{m}-{seeds[0]}"].GetProperty("trainableParameters").GetInt64();
        md.AppendLine($"vtagml against the frozen-encoder baseline (multitask-shared) and full multitask fine-tuning, per metric (difference vtagml − other; " +
                      $"for rmse, angular error and l1 lower is better). Trainable parameters: vtagml {Trainable(Methods.Vtagml) / (double)Trainable(Methods.MultitaskFinetune):P1} of multitask-finetune's.");
        md.AppendLine();
        md.AppendLine("| task metric | vs multitask-shared | verdict | vs multitask-finetune | verdict |");
        md.AppendLine("|---|---|---|---|---|");
        var versus = new List<object>();
        var claims = new List<AdapterLab.Statistics.Claim>();
        var floorRows = new List<(string, SeedResults, double?)>();
        var seedRows = new List<(string, SeedResults)>();
        foreach (var (task, metric) in Metrics)
        {
            var a = R(Methods.Vtagml, "synthetic", metric, task);
            var shared = R(Methods.MultitaskShared, "synthetic", metric, task);
            var finetune = R(Methods.MultitaskFinetune, "synthetic", metric, task);
            bool higher = HigherIsBetter(metric);
            claims.Add(SeedResults.Better($"{task} {metric}: vtagml beats multitask-shared", a, shared, higher));
            claims.Add(SeedResults.Better($"{task} {metric}: vtagml beats multitask-finetune", a, finetune, higher));
            var floor = await client.FloorAsync(done[$"{Methods.Vtagml}-{seeds[0]}"], "test", "synthetic", metric, ct, task);
            floorRows.Add(($"vtagml {task} {metric}", a, floor));
            seedRows.Add(($"vtagml {task} {metric}", a));
            string vShared = SeedResults.Verdict(a, shared, higher), vFinetune = SeedResults.Verdict(a, finetune, higher);
            md.AppendLine($"| {task} {metric} | {SeedResults.Signed(a.Mean - shared.Mean)} | {vShared} | {SeedResults.Signed(a.Mean - finetune.Mean)} | {vFinetune} |");
            versus.Add(new { task, metric, vsShared = a.Mean - shared.Mean, verdictShared = vShared, vsFinetune = a.Mean - finetune.Mean, verdictFinetune = vFinetune });
        }
        // The paper's multitask finding per task with a verdict, gates first (no ranking of results at their floor).
        {
            var gates = new List<AdapterLab.Statistics.Gate>();
            var byMetric = floorRows.GroupBy(r => HigherIsBetter(r.Item1.Split(' ')[^1]));
            foreach (var g in byMetric)
                gates.Add(SeedResults.FloorGate($"vtagml above its floors ({(g.Key ? "higher" : "lower")}-is-better metrics)", g.ToList(), g.Key));
            gates.Add(SeedResults.SeedsDifferGate(seedRows));
            md.AppendLine();
            md.AppendLine("### Findings");
            md.AppendLine();
            md.Append(AdapterLab.Statistics.Findings.Markdown(gates, AdapterLab.Statistics.Findings.Judge(gates, claims)));
        }
        md.AppendLine();

        var real = await FinalMatricesAsync(seeds.Select(x => done[$"{Methods.Vtagml}-{x}"]), ct);
        var control = await FinalMatricesAsync(seeds.Select(x => done[$"shuffled-{x}"]), ct);
        md.AppendLine("## Affinity (vtagml, S-D-N-E, final evaluation)");
        md.AppendLine();
        md.AppendLine("Task order " + string.Join(", ", AllTasks) + "; entry (i, j) is the affinity of source task i (row) to target task j (column): how much a step on i helps j. The control trains the same model on " +
                      "shuffled targets (`data.shuffleTargets`: each task's training labels permuted across images, independently per task), so any structure it shows is an artefact.");
        md.AppendLine();
        md.AppendLine($"Cadence: every estimator is updated every `method.affinityInterval` steps (default 50) from the per-task gradients of {MultitaskPlan.AffinityBatches} training batches. " +
                      "`troa` starts uniform (each column on the simplex) and takes one exponentiated-gradient step (η 0.5) per update along the directional transfer statistic " +
                      "r[i→j] = ⟨gᵢ, gⱼ⟩ / ‖gⱼ‖² (clipped to [−1, 1]); `cosine` is the running mean of the symmetrised gradient cosine; `tag-lookahead` the running mean of TAG's " +
                      $"lookahead ratio at a fixed lookahead rate {MultitaskPlan.TagLookaheadRate}; `transfer` and `gradient-cosine` are the raw matrices of the last update.");
        md.AppendLine();
        var (structure, troaVsTag) = AffinityTables(md, real, control);

        object? longer = null;
        if (longSteps > 0)
        {
            var realLong = await FinalMatricesAsync(seeds.Select(x => done[$"vtagml-long-{x}"]), ct);
            var controlLong = await FinalMatricesAsync(seeds.Select(x => done[$"shuffled-long-{x}"]), ct);
            md.AppendLine($"## Affinity at {longSteps} steps (vtagml and its shuffled control, S-D-N-E)");
            md.AppendLine();
            md.AppendLine($"The same pair of runs per seed at 3× the budget, an update every {longEval} steps: does the structure emerge with training? Source-domain test metrics of these runs:");
            md.AppendLine();
            md.AppendLine("| run | " + string.Join(" | ", Metrics.Select(m => $"{m.Task} {m.Metric}")) + " |");
            md.AppendLine("|---|" + string.Concat(Metrics.Select(_ => "---|")));
            foreach (var (key, label) in new[] { ("vtagml-long", $"vtagml, {longSteps} steps"), ("shuffled-long", $"shuffled control, {longSteps} steps"), (Methods.Vtagml, $"vtagml, {steps} steps"), ("shuffled", $"shuffled control, {steps} steps") })
                md.AppendLine($"| {label} | " + string.Join(" | ", Metrics.Select(x => R(key, "synthetic", x.Metric, x.Task).ToString())) + " |");
            md.AppendLine();
            var (structureLong, troaVsTagLong) = AffinityTables(md, realLong, controlLong);
            longer = new { steps = longSteps, evalInterval = longEval, affinity = structureLong, troaVsTag = troaVsTagLong };
        }

        md.AppendLine("## Domain generalisation and adaptation (synthetic → fog, segmentation + depth, vtagml)");
        md.AppendLine();
        md.AppendLine("| run | synthetic mIoU | fog mIoU | synthetic depth RMSE | fog depth RMSE |");
        md.AppendLine("|---|---|---|---|---|");
        foreach (var key in new[] { "source-only", "da" })
            md.AppendLine($"| {(key == "da" ? "adversarial adaptation (unlabelled fog)" : "source only (domain generalisation)")} | {R(key, "synthetic", "miou", Tasks.Segmentation)} | {R(key, "fog", "miou", Tasks.Segmentation)} | {R(key, "synthetic", "rmse", Tasks.Depth)} | {R(key, "fog", "rmse", Tasks.Depth)} |");
        md.AppendLine();
        var gaps = new List<object>();
        void Gap(string what, SeedResults a, SeedResults b)
        {
            string verdict = SeedResults.Verdict(b, a);
            md.AppendLine($"- {what}: {SeedResults.Signed(b.Mean - a.Mean)} ({verdict})");
            gaps.Add(new { what, from = a, to = b, difference = b.Mean - a.Mean, verdict });
        }
        Gap("generalisation gap, mIoU (source-only: fog − synthetic)", R("source-only", "synthetic", "miou", Tasks.Segmentation), R("source-only", "fog", "miou", Tasks.Segmentation));
        Gap("generalisation gap, depth RMSE (source-only: fog − synthetic)", R("source-only", "synthetic", "rmse", Tasks.Depth), R("source-only", "fog", "rmse", Tasks.Depth));
        Gap("adaptation gain on fog, mIoU (adapted − source-only)", R("source-only", "fog", "miou", Tasks.Segmentation), R("da", "fog", "miou", Tasks.Segmentation));
        Gap("adaptation change on fog, depth RMSE (adapted − source-only; lower is better)", R("source-only", "fog", "rmse", Tasks.Depth), R("da", "fog", "rmse", Tasks.Depth));

        // Domain generalisation per task: the drop from the source domain to the unseen fog domain, per seed, for the
        // adapters (vtagml, all four tasks) against single-task models (one run per task, same seeds).
        md.AppendLine();
        md.AppendLine("Domain generalisation per task (trained on synthetic only, tested on unseen fog): change fog − synthetic, per seed, mean [95 % interval over seeds].");
        md.AppendLine();
        md.AppendLine("| task metric | vtagml change | single-task change | difference (vtagml − single-task) | verdict |");
        md.AppendLine("|---|---|---|---|---|");
        var generalisation = new List<object>();
        foreach (var (task, metric) in Metrics)
        {
            SeedResults Drop(Func<int, string> key) => SeedResults.Of(seeds.Select(x =>
                (ExperimentBatch.Result(done[key(x)], "test", "fog", metric, task) ?? double.NaN) - (ExperimentBatch.Result(done[key(x)], "test", "synthetic", metric, task) ?? double.NaN)));
            var adapters = Drop(x => $"{Methods.Vtagml}-{x}");
            var single = Drop(x => $"single-{task}-{x}");
            string verdict = SeedResults.Verdict(adapters, single, HigherIsBetter(metric));
            md.AppendLine($"| {task} {metric} | {adapters} | {single} | {SeedResults.Signed(adapters.Mean - single.Mean)} | {verdict} |");
            generalisation.Add(new { task, metric, vtagml = adapters, singleTask = single, verdict });
        }

        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{Name}.md"), md.ToString(), ct);
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{Name}.json"), JsonSerializer.Serialize(new
        {
            scenario = Name, quick, machine = Machine.Describe(), preset, steps, seeds, affinity = structure, troaVsTag, longer, gaps, generalisation, versus,
            experiments = done.ToDictionary(kv => kv.Key, kv => kv.Value.GetProperty("id").GetString()),
            pretrain = pre.Experiment.GetProperty("id").GetString(),
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }), ct);
        Console.WriteLine(md.ToString());
    }

    /// <summary>Errors and distances improve downwards; IoU and δ &lt; 1.25 upwards.</summary>
    private static bool HigherIsBetter(string metric) => metric is not ("rmse" or "angular-error" or "l1");

    /// <summary>Each estimator's asymmetry, seed agreement and control comparison, its seed-mean matrix, and troa vs tag-lookahead.</summary>
    private static (Dictionary<string, object> Structure, double TroaVsTag) AffinityTables(StringBuilder md, Dictionary<string, List<double[]>> real, Dictionary<string, List<double[]>> control)
    {
        md.AppendLine("| estimator | asymmetry ‖A−Aᵀ‖/‖A‖ | off-diagonal rank agreement across seeds (mean Spearman) | control: agreement across seeds | control vs real (Spearman with the real seed-mean) |");
        md.AppendLine("|---|---|---|---|---|");
        var structure = new Dictionary<string, object>();
        foreach (var (est, list) in real.OrderBy(kv => kv.Key))
        {
            var asym = SeedResults.Of(list.Select(Asymmetry));
            double agree = MeanPairwiseSpearman(list);
            var ctl = control.GetValueOrDefault(est) ?? [];
            double ctlAgree = MeanPairwiseSpearman(ctl);
            var realMean = OffDiagonal(MeanMatrix(list));
            double ctlVsReal = ctl.Count == 0 ? double.NaN : ctl.Average(c => Spearman(OffDiagonal(c), realMean));
            md.AppendLine($"| {est} | {asym} | {agree:0.00} | {ctlAgree:0.00} | {ctlVsReal:0.00} |");
            structure[est] = new { asymmetry = asym, seedAgreement = agree, controlSeedAgreement = ctlAgree, controlVsReal = ctlVsReal, meanMatrix = MeanMatrix(list), controlMeanMatrix = ctl.Count == 0 ? null : MeanMatrix(ctl) };
        }
        md.AppendLine();
        foreach (var (est, list) in real.OrderBy(kv => kv.Key))
        {
            var mean = MeanMatrix(list);
            md.AppendLine($"Mean `{est}` matrix over seeds (rows: source task i, columns: target task j):");
            md.AppendLine();
            md.AppendLine("| | " + string.Join(" | ", AllTasks) + " |");
            md.AppendLine("|---|" + string.Concat(AllTasks.Select(_ => "---|")));
            for (int i = 0; i < AllTasks.Length; i++)
                md.AppendLine($"| {AllTasks[i]} | " + string.Join(" | ", Enumerable.Range(0, AllTasks.Length).Select(j => mean[i * AllTasks.Length + j].ToString("0.000"))) + " |");
            md.AppendLine();
        }
        double troaVsTag = real.TryGetValue(Estimators.Troa, out var troa) && real.TryGetValue(Estimators.TagLookahead, out var tag)
            ? troa.Zip(tag, (x, y) => Spearman(OffDiagonal(x), OffDiagonal(y))).Average() : double.NaN;
        md.AppendLine($"troa vs tag-lookahead (Spearman on off-diagonals, same run, mean over seeds): {troaVsTag:0.00}");
        md.AppendLine();
        return (structure, troaVsTag);
    }

    /// <summary>Each estimator's matrix at the last evaluation of each run (run order kept).</summary>
    private async Task<Dictionary<string, List<double[]>>> FinalMatricesAsync(IEnumerable<JsonElement> experiments, CancellationToken ct)
    {
        var finals = new Dictionary<string, List<double[]>>();
        foreach (var experiment in experiments)
        {
            var id = experiment.GetProperty("id").GetString();
            var all = (await client.GetJsonAsync($"/api/experiments/{id}/affinity", ct)).EnumerateArray().ToList();
            foreach (var group in all.GroupBy(a => a.GetProperty("estimator").GetString()!))
            {
                var last = group.MaxBy(a => a.GetProperty("step").GetInt64());
                (finals.TryGetValue(group.Key, out var l) ? l : finals[group.Key] = []).Add(last.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray());
            }
        }
        return finals;
    }

    private static double MeanPairwiseSpearman(List<double[]> list)
    {
        var pairs = new List<double>();
        for (int a = 0; a < list.Count; a++) for (int b = a + 1; b < list.Count; b++) pairs.Add(Spearman(OffDiagonal(list[a]), OffDiagonal(list[b])));
        return pairs.Count == 0 ? double.NaN : pairs.Average();
    }

    private static double[] MeanMatrix(List<double[]> list) => Enumerable.Range(0, list[0].Length).Select(k => list.Average(m => m[k])).ToArray();

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
