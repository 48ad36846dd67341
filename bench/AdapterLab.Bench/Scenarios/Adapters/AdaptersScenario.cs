using System.Globalization;
using System.Text;
using System.Text.Json;
using AdapterLab.Bench.Runner;
using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;
using AdapterLab.Contracts.Suites;
using AdapterLab.Statistics;

namespace AdapterLab.Bench.Scenarios;

/// <summary>
/// The adapter benchmark report: every classification method on two shifted target tasks, through the platform.
/// <para>Protocol (full, sized for 2 CPU cores): pretrain <c>vit-lab-s</c> supervised on ShapesWorld <c>synthetic</c> /
/// <c>largest-shape</c>; then per task and method, a learning-rate grid (the method's default lr × {0.3, 1, 3}) chosen
/// on the source-domain validation accuracy with seed 1, then seeds 1–3 at the chosen rate (seed 1 is the grid run);
/// test accuracy mean ± std. The linear probe trains on cached features (the trainer does this for it). On task A, the
/// AdaptFormer bottleneck sweep d̂ ∈ {2, 8, 32} (parallel) and parallel vs sequential at d̂ = 8, at AdaptFormer's
/// chosen rate, 3 seeds. A difference under two (pooled) standard deviations is reported "not significant".</para>
/// <para><c>--quick</c>: <c>vit-tiny-ci</c>, a short pretrain, grid {1, 3}×, seed 1 only, small splits — minutes, a
/// smoke run of the pipeline, not a result (significance is "n/a" with one seed).</para>
/// Resumable: every run is keyed in the ledger (<c>bench/results/.ledger/adapters*.json</c>), so a rerun reuses
/// finished and running experiments and resubmits only failed ones.
/// </summary>
public sealed class AdaptersScenario(PlatformClient client, string resultsDir, bool quick) : IScenario
{
    public string Name => "adapters";

    private sealed record TargetTask(string Key, string LabelFamily, string Source, string Shifted);

    /// <summary>Two target tasks, each a new label family on a domain shifted from the pretraining one.</summary>
    private static readonly TargetTask[] TaskList =
    [
        new("A", "object-count", "textured", "fog"),
        new("B", "largest-quadrant", "noisy-photo", "fog"),
    ];

    private const int Bottleneck = 8;

    public async Task RunAsync(CancellationToken ct)
    {
        var ledger = new RunLedger(Path.Combine(resultsDir, ".ledger", quick ? "adapters-quick.json" : "adapters.json"));
        var batch = new ExperimentBatch(client, ledger);
        var pre = await BenchBackbone.EnsureAsync(client, quick, ct);
        string preset = pre.Preset;
        int steps = quick ? 30 : 150, batchSize = 32;
        int train = quick ? 256 : 2000, validation = quick ? 64 : 256, test = quick ? 128 : 512;
        double[] grid = quick ? [1, 4] : [1, 4, 16];
        int[] seeds = quick ? [1] : [1, 2, 3];
        var backbone = new BackboneSpec { Preset = preset, Source = BackboneSources.Named, Name = pre.Name };

        ExperimentSpec Adapt(TargetTask task, MethodSpec method, double lrScale, int seed) => new()
        {
            Name = $"bench adapters: {Describe(method)} task {task.Key} lr×{lrScale} seed {seed}",
            Kind = Kinds.Adapt,
            Backbone = backbone,
            Method = method,
            Data = new DataSpec
            {
                LabelFamily = task.LabelFamily, SourceDomain = task.Source, TargetDomains = [task.Shifted],
                TrainSize = train, ValidationSize = validation, TestSize = test,
            },
            Training = new TrainingSpec
            {
                Steps = steps, BatchSize = batchSize, Seed = seed, EvalInterval = steps / 2,
                LearningRate = lrScale * DefaultLearningRate(method.Name) * batchSize / 256.0,
            },
            Tags = ["bench", Name],
        };

        var methods = Methods.Classification.Select(m => m == Methods.AdaptFormer
            ? new MethodSpec { Name = m, Bottleneck = Bottleneck, Placement = "parallel" }
            : new MethodSpec { Name = m }).ToList();

        // 1. Learning-rate grid on task A, seed 1, chosen on its source-domain validation accuracy; task B reuses the rate
        //    (the grid on both tasks doubles the cost of the report for little: it is sized for 2 CPU cores).
        var gridTask = TaskList[0];
        var gridRuns = new List<(string, ExperimentSpec)>();
        foreach (var m in methods)
            foreach (var g in grid)
                gridRuns.Add((Key(gridTask, m, g, 1), Adapt(gridTask, m, g, 1)));
        Console.WriteLine($"[{Name}] learning-rate grid on task {gridTask.Key}: {gridRuns.Count} runs");
        var done = await batch.RunAsync(gridRuns, ct);
        var chosen = new Dictionary<(string Task, string Method), double>();
        foreach (var m in methods)
        {
            double rate = grid.OrderByDescending(g => ExperimentBatch.Result(done[Key(gridTask, m, g, 1)], "validation", gridTask.Source, "accuracy") ?? -1)
                .ThenBy(g => Math.Abs(Math.Log(g))).First();
            foreach (var task in TaskList) chosen[(task.Key, Describe(m))] = rate;
        }

        // 2. Seeds at the chosen rate, plus the d̂ sweep and placement comparison on task A.
        var taskA = TaskList[0];
        var adaptformer = methods.Single(m => m.Name == Methods.AdaptFormer);
        double afRate = chosen[(taskA.Key, Describe(adaptformer))];
        var sweep = new[] { 2, 8, 32 }.Select(d => adaptformer with { Bottleneck = d })
            .Append(adaptformer with { Placement = "sequential" }).ToList();
        var seedRuns = new List<(string, ExperimentSpec)>();
        foreach (var task in TaskList)
            foreach (var m in methods)
                foreach (var s in seeds)
                    seedRuns.Add((Key(task, m, chosen[(task.Key, Describe(m))], s), Adapt(task, m, chosen[(task.Key, Describe(m))], s)));
        foreach (var m in sweep)
            foreach (var s in seeds)
                seedRuns.Add((Key(taskA, m, afRate, s), Adapt(taskA, m, afRate, s)));
        seedRuns = seedRuns.Where(r => !done.ContainsKey(r.Item1)).DistinctBy(r => r.Item1).ToList();
        Console.WriteLine($"[{Name}] seeds and sweep: {seedRuns.Count} runs");
        foreach (var (k, v) in await batch.RunAsync(seedRuns, ct)) done[k] = v;

        // 3. Report.
        var backboneParams = ModelCatalogue.Get(preset).BackboneParameters();
        Row Summarise(TargetTask task, MethodSpec m, double rate)
        {
            var runs = seeds.Select(s => done[Key(task, m, rate, s)]).ToList();
            var spec = Adapt(task, m, rate, 1);
            var count = ModelCatalogue.Count(spec);
            var ips = runs.Select(r => r.TryGetProperty("imagesPerSecond", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN).ToList();
            var mem = runs.Select(r => r.TryGetProperty("peakMemoryBytes", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0).ToList();
            return new Row(task.Key, Describe(m), rate, spec.Training.LearningRate!.Value,
                SeedResults.Of(runs.Select(r => ExperimentBatch.Result(r, "test", task.Source, "accuracy") ?? double.NaN)),
                SeedResults.Of(runs.Select(r => ExperimentBatch.Result(r, "test", task.Shifted, "accuracy") ?? double.NaN)),
                count.Trainable, 100.0 * count.Trainable / backboneParams,
                ips.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average() is var i && i > 0 ? 1000.0 * batchSize / i : double.NaN,
                mem.Max() / (1024.0 * 1024.0),
                runs.Select(r => r.GetProperty("id").GetString()!).ToList(),
                client.FloorAsync(runs[0], "test", task.Source, "accuracy", ct).GetAwaiter().GetResult());
        }

        var rows = TaskList.SelectMany(t => methods.Select(m => Summarise(t, m, chosen[(t.Key, Describe(m))]))).ToList();
        var sweepRows = sweep.Select(m => Summarise(taskA, m, afRate)).ToList();

        var md = new StringBuilder();
        md.AppendLine($"# Adapter methods on shifted ShapesWorld tasks ({preset}){(quick ? " — QUICK smoke run, not a result" : "")}");
        md.AppendLine();
        md.AppendLine($"Backbone: `{preset}` pretrained supervised on `synthetic` / `largest-shape`, {pre.Steps} steps × {pre.BatchSize} " +
                      $"(test accuracy {Fmt(ExperimentBatch.Result(pre.Experiment, "test", "synthetic", "accuracy"))}); {backboneParams:N0} backbone parameters.");
        md.AppendLine($"Adaptation: {steps} steps × batch {batchSize}; splits train {train} / validation {validation} / test {test}; " +
                      $"lr = default × {{{string.Join(", ", grid)}}} chosen per method on task A source validation accuracy (seed 1) and used on both tasks; seeds {string.Join(", ", seeds)} at the chosen lr. " +
                      $"AdaptFormer d̂ = {Bottleneck}, parallel, scale 0.1 in the method table.");
        md.AppendLine(quick
            ? "Significance: n/a (one seed)."
            : "Against the task's best mean: `below` when the seed-paired t test (platform statistics library, Holm-adjusted over the table) says so, " +
              "`no difference detected` otherwise, `untestable` when a method's seeds gave identical results (zero spread is not evidence). Intervals: 95 % over seeds only (no test-set sampling).");
        md.AppendLine();
        // The papers' findings with a verdict each (pass / fail / inconclusive), gates first: no ranking when a gate fails.
        var gates = new List<Gate>
        {
            SeedResults.FloorGate("every method above its majority-class floor (source test)", rows.Select(r => ($"{r.Task}/{r.Method}", r.Source, r.SourceFloor)).ToList()),
            SeedResults.SeedsDifferGate(rows.Select(r => ($"{r.Task}/{r.Method}", r.Source)).ToList()),
        };
        var claims = new List<Claim>();
        double margin = MetricPolicy.For("accuracy").Tolerance;
        foreach (var task in TaskList)
        {
            Row? M(string name) => rows.FirstOrDefault(r => r.Task == task.Key && r.Method.StartsWith(name, StringComparison.Ordinal));
            if (M(Methods.AdaptFormer) is { } af && M(Methods.LinearProbe) is { } lp)
                claims.Add(SeedResults.Better($"task {task.Key}: AdaptFormer beats the linear probe", af.Source, lp.Source, margin: margin));
            if (M(Methods.VptDeep) is { } vpt && M(Methods.LinearProbe) is { } lp2)
                claims.Add(SeedResults.Better($"task {task.Key}: VPT-deep beats the linear probe", vpt.Source, lp2.Source, margin: margin));
            if (M(Methods.AdaptFormer) is { } af2 && M(Methods.VptDeep) is { } vpt2)
                claims.Add(SeedResults.Better($"task {task.Key}: AdaptFormer beats VPT-deep", af2.Source, vpt2.Source, margin: margin));
            if (M(Methods.AdaptFormer) is { } af3 && M(Methods.FullFinetune) is { } ft)
                claims.Add(SeedResults.Equivalent($"task {task.Key}: AdaptFormer equivalent to full fine-tuning (±{margin:0.###})", af3.Source, ft.Source, margin));
        }
        var findings = Findings.Judge(gates, claims);
        md.AppendLine("## Findings");
        md.AppendLine();
        md.Append(Findings.Markdown(gates, findings));
        md.AppendLine();
        md.AppendLine("Step time is batch / measured images per second of the run's training steps; peak memory is the agent process's peak working set when the run ended (processes are reused across runs, so it is an upper bound).");
        md.AppendLine();
        foreach (var task in TaskList)
        {
            var taskRows = rows.Where(r => r.Task == task.Key).ToList();
            var best = taskRows.MaxBy(r => r.Source.Mean)!;
            var versus = VersusBest(taskRows, best);
            md.AppendLine($"## Task {task.Key}: `{task.LabelFamily}` trained on `{task.Source}`, also tested on `{task.Shifted}`");
            md.AppendLine();
            md.AppendLine($"| method | lr (×default) | test acc `{task.Source}` | vs best | test acc `{task.Shifted}` | trainable params | % of backbone | step ms | peak MiB |");
            md.AppendLine("|---|---|---|---|---|---|---|---|---|");
            foreach (var r in taskRows)
                md.AppendLine($"| {r.Method} | {r.LearningRate:0.#####} (×{r.Scale}) | {r.Source} | {versus[r]} | {r.Shifted} | {r.Trainable:N0} | {r.PercentOfBackbone:0.###} | {r.StepMs:0.0} | {r.PeakMiB:0} |");
            md.AppendLine();
        }
        md.AppendLine($"## AdaptFormer on task A: bottleneck d̂ and placement (lr × {afRate})");
        md.AppendLine();
        md.AppendLine($"| variant | test acc `{taskA.Source}` | test acc `{taskA.Shifted}` | trainable params | % of backbone | step ms |");
        md.AppendLine("|---|---|---|---|---|---|");
        foreach (var r in sweepRows) md.AppendLine($"| {r.Method} | {r.Source} | {r.Shifted} | {r.Trainable:N0} | {r.PercentOfBackbone:0.###} | {r.StepMs:0.0} |");
        md.AppendLine();
        var par = sweepRows.Single(r => r.Method == Describe(adaptformer));
        var seq = sweepRows.Single(r => r.Method == Describe(adaptformer with { Placement = "sequential" }));
        md.AppendLine($"Parallel vs sequential (d̂ = {Bottleneck}): {SeedResults.Signed(par.Source.Mean - seq.Source.Mean)} on `{taskA.Source}` — {Significance(par.Source, seq.Source)}.");
        for (int i = 0; i + 1 < 3; i++)
            md.AppendLine($"d̂ {sweep[i].Bottleneck} vs {sweep[i + 1].Bottleneck}: {SeedResults.Signed(sweepRows[i + 1].Source.Mean - sweepRows[i].Source.Mean)} — {Significance(sweepRows[i + 1].Source, sweepRows[i].Source)}.");

        var json = JsonSerializer.Serialize(new
        {
            scenario = Name,
            quick,
            note = quick ? "quick smoke run (vit-tiny-ci, one seed, tiny grid): checks the pipeline, not a benchmark result" : null,
            machine = Machine.Describe(),
            preset,
            protocol = new { pretrainSteps = pre.Steps, pretrainBatch = pre.BatchSize, steps, batchSize, train, validation, test, grid, seeds, bottleneck = Bottleneck, tasks = TaskList },
            pretrain = new { id = pre.Experiment.GetProperty("id").GetString(), name = pre.Name, testAccuracy = ExperimentBatch.Result(pre.Experiment, "test", "synthetic", "accuracy") },
            methods = rows,
            adaptformerSweep = sweepRows,
            verdict = Findings.Summary(gates, findings),
            gates,
            findings = findings.Select(f => new { f.Claim, outcome = f.Word, f.Evidence }),
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{Name}.json"), json, ct);
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{Name}.md"), md.ToString(), ct);
        Console.WriteLine(md.ToString());

        Dictionary<Row, string> VersusBest(List<Row> taskRows, Row best)
        {
            var others = taskRows.Where(r => !ReferenceEquals(r, best)).ToList();
            var tests = others.Select(r => SeedResults.Compare(r.Source, best.Source)).ToList();
            var tested = tests.Select((d, i) => (d, i)).Where(x => x.d is not null).ToList();
            var adjusted = AdapterLab.Statistics.Holm.Adjust(tested.Select(x => x.d!.PValue).ToList());
            var result = new Dictionary<Row, string> { [best] = "best" };
            for (int i = 0; i < others.Count; i++)
            {
                int k = tested.FindIndex(x => x.i == i);
                result[others[i]] = quick ? "n/a (one seed)"
                    : k < 0 ? "untestable (identical seeds)"
                    : adjusted[k] < AdapterLab.Statistics.Verdict.Alpha ? $"below (p_Holm {AdapterLab.Statistics.Verdict.Format(adjusted[k])})"
                    : $"no difference detected (p_Holm {AdapterLab.Statistics.Verdict.Format(adjusted[k])})";
            }
            return result;
        }
        string Significance(SeedResults a, SeedResults b) => quick ? "significance n/a (one seed)" : SeedResults.Verdict(a, b);
    }

    private sealed record Row(string Task, string Method, double Scale, double LearningRate, SeedResults Source, SeedResults Shifted,
        long Trainable, double PercentOfBackbone, double StepMs, double PeakMiB, IReadOnlyList<string> Experiments, double? SourceFloor = null);

    private static double DefaultLearningRate(string method) => method switch
    {
        Methods.FullFinetune => 1e-3,
        Methods.VptShallow or Methods.VptDeep => 1.0,
        _ => 0.1,
    };

    private static string Describe(MethodSpec m) => m.Name == Methods.AdaptFormer
        ? $"adaptformer d̂={m.Bottleneck} {m.Placement}"
        : m.Name;

    private static string Key(TargetTask task, MethodSpec m, double scale, int seed) =>
        $"{task.Key}|{Describe(m)}|{scale.ToString(CultureInfo.InvariantCulture)}|{seed}";

    private static string Fmt(double? v) => v is { } x ? x.ToString("0.000") : "n/a";
}
