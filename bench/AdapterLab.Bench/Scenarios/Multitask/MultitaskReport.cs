using System.Globalization;
using System.Text;
using System.Text.Json;
using AdapterLab.Bench.Runner;
using static AdapterLab.Bench.Runner.ReportFormat;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Contracts.Specs;
using AdapterLab.Contracts.Suites;
using AdapterLab.Statistics;
using ScottPlot;

namespace AdapterLab.Bench.Scenarios.Multitask;

/// <summary>
/// Renders the multitask report: the gate (multitask-shared beats every floor on every task, seeds differ), then the
/// findings with a verdict each — adapters against the frozen-encoder and full fine-tuning baselines (trainable ratio
/// stated), affinity asymmetry, seed agreement with an interval, both controls, <c>troa</c> against <c>tag-lookahead</c>,
/// the adaptation gap on fog, domain generalisation against single-task models — tables with intervals over seeds × test
/// images (dense metrics through their per-image parts) and floors as rows, and heatmaps per estimator and over training.
/// </summary>
public sealed class MultitaskReport(
    MultitaskScenario.Protocol protocol,
    IReadOnlyDictionary<string, JsonElement> runs,
    IReadOnlyDictionary<string, PredictionsFile?> predictions,
    IReadOnlyDictionary<string, Dictionary<string, List<(long Step, double[] Values)>>> affinity,
    JsonElement pretrained,
    ReportBackbones.Backbone backbone,
    string resultsDir)
{
    private static readonly (string Task, string Metric)[] Metrics =
        [(Tasks.Segmentation, "miou"), (Tasks.Depth, "rmse"), (Tasks.Depth, "delta1"), (Tasks.Normals, "angular-error"), (Tasks.Edges, "odsf"), (Tasks.Edges, "l1")];

    private static bool Higher(string metric) => MetricPolicy.For(metric).HigherIsBetter;

    private IReadOnlyList<int> Seeds => protocol.Seeds;

    private SeedExampleTable? Table(string key, string domain, string task, string metric) =>
        PredictionTables.OutcomeTable(Seeds.Select(s => predictions[$"{key}/{s}"]).ToList(), "test", task, domain, metric);

    private SeedResults PerSeed(string key, string domain, string task, string metric) =>
        SeedResults.Of(Seeds.Select(s => ExperimentBatch.Result(runs[$"{key}/{s}"], "test", domain, metric, task) ?? double.NaN));

    /// <summary>The mean with its interval, clamped to the metric's range (proportions to [0, 1], errors to ≥ 0).</summary>
    private static Estimate? Mean(SeedExampleTable? t, string metric) =>
        t is null ? null : Estimate.IsProportion(metric) ? Intervals.Mean(t).ClampedTo(0, 1) : Intervals.Mean(t).ClampedTo(0, double.PositiveInfinity);

    /// <summary>
    /// The gate's metrics: each task's primary ones. Edge L1 is secondary: the balanced cross-entropy ranks pixels (what the
    /// ODS F-measure scores) but does not calibrate probabilities to the Sobel magnitudes L1 compares them with.
    /// </summary>
    private static bool Primary((string Task, string Metric) m) => m.Metric != "l1";

    public async Task WriteAsync(string name, CancellationToken ct)
    {
        string figures = Path.Combine(resultsDir, name);
        Directory.CreateDirectory(figures);
        var md = new StringBuilder();
        double hours = (runs.Values.Max(x => x.GetProperty("finishedAt").GetDateTimeOffset()) - runs.Values.Min(x => x.GetProperty("submittedAt").GetDateTimeOffset())).TotalHours;
        long Trainable(string key) => runs[$"{key}/{Seeds[0]}"].GetProperty("trainableParameters").GetInt64();

        md.AppendLine($"# Multitask dense prediction (VTAGML) on {ReportBackbones.Preset}{(protocol.Quick ? " — QUICK smoke run, not a result" : "")}");
        md.AppendLine();
        md.AppendLine($"`./platform bench multitask{(protocol.Quick ? " --quick" : "")}` through the platform on {Machine.Describe()}: **{runs.Count} runs**, {runs.Values.Sum(x => x.TryGetProperty("startedAt", out var s) && s.ValueKind == JsonValueKind.String ? (x.GetProperty("finishedAt").GetDateTimeOffset() - s.GetDateTimeOffset()).TotalHours : 0):F1} h of training summed over the runs, {hours:F1} h from the first submission to the last result (resumable: that span includes any pause between sittings).");
        md.AppendLine();
        md.AppendLine($"**Protocol.** Backbone: {backbone.Label} (`{backbone.Spec.Backbone.RegisterAs}`, experiment {pretrained.GetProperty("id").GetString()}), the same for every method. " +
            $"Every run {protocol.Steps} steps × {protocol.BatchSize} on `synthetic` ({protocol.TrainSize:N0} training scenes), tested on {protocol.TestSize:N0} `synthetic` and {protocol.TestSize:N0} unseen `{MultitaskScenario.Target}` images; seeds {string.Join(", ", Seeds)}. " +
            "Decoders train at one decoder rate for every method (an encoder that trains at the encoder rate). Edges: class-balanced cross-entropy (HED), ODS F-measure (pixel-exact, one threshold for the set) with L1 secondary. " +
            "Affinity: every 50 steps from the gradients of 4 batches; `troa` from the directional transfer statistic with a uniform start, `tag-lookahead` at a fixed lookahead rate, `cosine` symmetric. " +
            "Intervals: 95 %, over seeds × test images (dense metrics through per-image parts and jackknife pseudo-values); differences paired by seed and image; Holm over the directional findings.");
        md.AppendLine();

        // Per task metric: methods and the floor.
        var methods = new (string Key, string Label)[] { (Methods.Vtagml, "vtagml"), (Methods.MultitaskShared, "multitask-shared"), (Methods.MultitaskFinetune, "multitask-finetune") };
        md.AppendLine($"## Results on `synthetic` (test)");
        md.AppendLine();
        md.AppendLine($"Trainable parameters: vtagml {Trainable(Methods.Vtagml):N0} ({100.0 * Trainable(Methods.Vtagml) / Trainable(Methods.MultitaskFinetune):0.#} % of multitask-finetune's {Trainable(Methods.MultitaskFinetune):N0}), multitask-shared {Trainable(Methods.MultitaskShared):N0}, single-task (four runs together) {AllSingle().Sum(k => Trainable(k)):N0}.");
        md.AppendLine();
        md.AppendLine("| method | " + string.Join(" | ", Metrics.Select(m => $"{m.Task} {m.Metric} ({(Higher(m.Metric) ? "↑" : "↓")})")) + " |");
        md.AppendLine("|---|" + string.Concat(Metrics.Select(_ => "---|")));
        foreach (var (key, label) in methods)
            md.AppendLine($"| {label} | " + string.Join(" | ", Metrics.Select(m => Ci(Mean(Table(key, "synthetic", m.Task, m.Metric), m.Metric)))) + " |");
        md.AppendLine("| single-task (one run per task) | " + string.Join(" | ", Metrics.Select(m => Ci(Mean(Table($"single-{m.Task}", "synthetic", m.Task, m.Metric), m.Metric)))) + " |");
        var floors = new Dictionary<(string Task, string Metric), double?>();
        foreach (var (task, metric) in Metrics)
            floors[(task, metric)] = PredictionTables.Floor(predictions[$"{Methods.MultitaskShared}/{Seeds[0]}"], "test", task, "synthetic", metric)?.Value;
        md.AppendLine("| *floor*: image-blind prior (per-pixel majority class, per-pixel mean log-depth, mean normal, per-pixel edge frequency) | " + string.Join(" | ", Metrics.Select(m => Fmt(floors[m]))) + " |");
        md.AppendLine();

        // The gate, then the findings.
        var atFloor = Metrics.Where(Primary).Where(m => Mean(Table(Methods.MultitaskShared, "synthetic", m.Task, m.Metric), m.Metric) is not { } e || floors[m] is not { } f || FloorCheck.AtFloor(e, f, Higher(m.Metric))).ToList();
        var gates = new List<Gate>
        {
            new("multitask-shared beats every floor on every task", atFloor.Count == 0,
                atFloor.Count == 0 ? $"all {Metrics.Count(Primary)} primary metrics beyond their floor (edge L1 is secondary)" : $"at its floor: {string.Join(", ", atFloor.Select(m => $"{m.Task} {m.Metric}"))}"),
            SeedResults.SeedsDifferGate(methods.SelectMany(x => Metrics.Select(m => ($"{x.Label} {m.Task} {m.Metric}", PerSeed(x.Key, "synthetic", m.Task, m.Metric)))).ToList()),
        };
        var claims = new List<Claim>();
        Difference? Paired(string a, string b, string domain, string task, string metric) =>
            Table(a, domain, task, metric) is { } ta && Table(b, domain, task, metric) is { } tb ? Comparisons.Paired(ta, tb) : null;
        foreach (var (task, metric) in Metrics)
        {
            claims.Add(new Claim($"{task} {metric}: vtagml beats multitask-shared", ClaimKind.Better, Paired(Methods.Vtagml, Methods.MultitaskShared, "synthetic", task, metric), Higher(metric)));
            claims.Add(new Claim($"{task} {metric}: vtagml close to multitask-finetune (±{MetricPolicy.For(metric).Tolerance})", ClaimKind.Equivalent,
                Paired(Methods.Vtagml, Methods.MultitaskFinetune, "synthetic", task, metric), Higher(metric), MetricPolicy.For(metric).Tolerance));
        }

        // Affinity: final matrices per seed.
        List<double[]> Finals(string prefix, string estimator) => Seeds.Select(s => affinity[$"{prefix}/{s}"].TryGetValue(estimator, out var h) ? h[^1].Values : null).OfType<double[]>().ToList();
        var zeros = Seeds.Select(_ => 0.0).ToList();
        foreach (var est in new[] { Estimators.Troa, Estimators.TagLookahead })
        {
            var asym = Finals(Methods.Vtagml, est).Select(AffinityMatrices.Asymmetry).ToList();
            var symmetric = Finals(Methods.Vtagml, Estimators.Cosine).Select(AffinityMatrices.Asymmetry).ToList();
            claims.Add(new Claim($"`{est}` is asymmetric (‖A−Aᵀ‖/‖A‖ above the symmetric `cosine`'s)", ClaimKind.Better,
                asym.Count > 1 && asym.Count == symmetric.Count ? Comparisons.SeedsOnly(asym, symmetric, paired: true) : null, Untestable: asym.Count > 1 ? null : "one seed"));
        }
        var agreement = AffinityMatrices.PairwiseSpearman(Finals(Methods.Vtagml, Estimators.Troa));
        claims.Add(new Claim("`troa`'s off-diagonal order agrees across seeds (pairwise Spearman above 0)", ClaimKind.Better,
            agreement.Count > 1 ? Comparisons.SeedsOnly(agreement, agreement.Select(_ => 0.0).ToList(), paired: true) : null, Untestable: agreement.Count > 1 ? null : "fewer than three seeds"));
        var realMean = AffinityMatrices.MeanMatrix(Finals(Methods.Vtagml, Estimators.Troa));
        var controlVsReal = Finals("negative", Estimators.Troa).Select(c => AffinityMatrices.Spearman(AffinityMatrices.OffDiagonal(c), AffinityMatrices.OffDiagonal(realMean))).ToList();
        claims.Add(new Claim("the negative control loses the structure (its agreement with the real runs' order below the real runs' agreement with each other)", ClaimKind.Better,
            agreement.Count > 1 && controlVsReal.Count > 1 ? Comparisons.SeedsOnly(agreement, controlVsReal, paired: false) : null, Untestable: agreement.Count > 1 ? null : "fewer than three seeds"));
        var troaVsTag = Finals(Methods.Vtagml, Estimators.Troa).Zip(Finals(Methods.Vtagml, Estimators.TagLookahead), (a, b) => AffinityMatrices.Spearman(AffinityMatrices.OffDiagonal(a), AffinityMatrices.OffDiagonal(b))).ToList();
        claims.Add(new Claim("`troa` and `tag-lookahead` broadly agree (Spearman of off-diagonals above 0)", ClaimKind.Better,
            troaVsTag.Count > 1 ? Comparisons.SeedsOnly(troaVsTag, troaVsTag.Select(_ => 0.0).ToList(), paired: true) : null, Untestable: troaVsTag.Count > 1 ? null : "one seed"));
        // Domain adaptation and generalisation.
        foreach (var (task, metric) in new[] { (Tasks.Segmentation, "miou"), (Tasks.Depth, "rmse") })
            claims.Add(new Claim($"adversarial adaptation improves `{MultitaskScenario.Target}` {task} {metric} over the same run without it", ClaimKind.Better,
                Paired("adapted", "source-only", MultitaskScenario.Target, task, metric), Higher(metric)));
        foreach (var (task, metric) in Metrics)
        {
            SeedResults Drop(Func<int, string> key) => SeedResults.Of(Seeds.Select(s =>
                (ExperimentBatch.Result(runs[key(s)], "test", MultitaskScenario.Target, metric, task) ?? double.NaN) - (ExperimentBatch.Result(runs[key(s)], "test", "synthetic", metric, task) ?? double.NaN)));
            claims.Add(SeedResults.Better($"domain generalisation, {task} {metric}: vtagml degrades less than single-task on unseen `{MultitaskScenario.Target}`",
                Drop(s => $"{Methods.Vtagml}/{s}"), Drop(s => $"single-{task}/{s}"), Higher(metric)));
        }
        var findings = Findings.Judge(gates, claims).ToList();
        // The positive control is a check, not a test: the repeated depth must be each other's strongest source in every seed.
        var positive = Seeds.Select(s => affinity[$"positive/{s}"].TryGetValue(Estimators.Troa, out var h) ? h[^1].Values : null).ToList();
        int depth = Array.IndexOf(MultitaskScenario.AllTasks, Tasks.Depth), copy = MultitaskScenario.AllTasks.Length;
        int ranked = positive.Count(w => w is not null && AffinityMatrices.StrongestSource(w, depth) == copy && AffinityMatrices.StrongestSource(w, copy) == depth);
        findings.Add(gates.All(g => g.Passed)
            ? new Finding("positive control: depth entered twice ranks first in each other's `troa` column", ranked == Seeds.Count ? FindingOutcome.Pass : FindingOutcome.Fail, $"{ranked} of {Seeds.Count} seeds")
            : new Finding("positive control: depth entered twice ranks first in each other's `troa` column", FindingOutcome.Inconclusive, $"gates failed ({ranked} of {Seeds.Count} seeds ranked first)"));
        md.AppendLine("## Verdicts");
        md.AppendLine();
        md.Append(Findings.Markdown(gates, findings));
        md.AppendLine();

        // Affinity tables and heatmaps.
        md.AppendLine("## Task affinity (vtagml, final update; rows: source task i, columns: target task j)");
        md.AppendLine();
        md.AppendLine("| estimator | asymmetry per seed | pairwise Spearman across seeds |");
        md.AppendLine("|---|---|---|");
        foreach (var est in new[] { Estimators.Troa, Estimators.TagLookahead, Estimators.Cosine, Estimators.DirectionalTransfer })
        {
            var finals = Finals(Methods.Vtagml, est);
            if (finals.Count == 0) continue;
            md.AppendLine($"| {est} | {string.Join(", ", finals.Select(f => AffinityMatrices.Asymmetry(f).ToString("0.000", CultureInfo.InvariantCulture)))} | {string.Join(", ", AffinityMatrices.PairwiseSpearman(finals).Select(v => v.ToString("0.00", CultureInfo.InvariantCulture)))} |");
        }
        md.AppendLine();
        foreach (var est in new[] { Estimators.Troa, Estimators.TagLookahead, Estimators.DirectionalTransfer })
        {
            var finals = Finals(Methods.Vtagml, est);
            if (finals.Count == 0) continue;
            var file = $"affinity-{est}.png";
            Heatmap(Path.Combine(figures, file), $"vtagml `{est}`, mean over {finals.Count} seeds", AffinityMatrices.MeanMatrix(finals));
            md.AppendLine($"![{est}]({name}/{file})");
        }
        var history = affinity[$"{Methods.Vtagml}/{Seeds[0]}"].GetValueOrDefault(Estimators.Troa);
        if (history is { Count: > 0 })
        {
            int n = MultitaskScenario.AllTasks.Length;
            var series = Enumerable.Range(0, n * n).Where(k => k / n != k % n).Select(k => new ReportCharts.Series(
                $"{MultitaskScenario.AllTasks[k / n]} → {MultitaskScenario.AllTasks[k % n]}", history.Select(h => (double)h.Step).ToList(), history.Select(h => h.Values[k]).ToList())).ToList();
            ReportCharts.Write(Path.Combine(figures, "troa-over-training.png"), $"vtagml `troa` W[i→j] over training (seed {Seeds[0]})", "step", "W[i → j]", series, logX: false);
            md.AppendLine($"![troa over training]({name}/troa-over-training.png)");
        }
        md.AppendLine();

        md.AppendLine($"## Domain adaptation and generalisation (`synthetic` → `{MultitaskScenario.Target}`)");
        md.AppendLine();
        md.AppendLine("| run | synthetic mIoU | fog mIoU | synthetic depth RMSE | fog depth RMSE |");
        md.AppendLine("|---|---|---|---|---|");
        foreach (var (key, label) in new[] { ("source-only", "segmentation + depth, source only"), ("adapted", "the same with adversarial adaptation (unlabelled fog)") })
            md.AppendLine($"| {label} | {Ci(Mean(Table(key, "synthetic", Tasks.Segmentation, "miou"), "miou"))} | {Ci(Mean(Table(key, MultitaskScenario.Target, Tasks.Segmentation, "miou"), "miou"))} | {Ci(Mean(Table(key, "synthetic", Tasks.Depth, "rmse"), "rmse"))} | {Ci(Mean(Table(key, MultitaskScenario.Target, Tasks.Depth, "rmse"), "rmse"))} |");
        md.AppendLine();

        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{name}.md"), md.ToString(), ct);
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{name}.json"), JsonSerializer.Serialize(new
        {
            scenario = "multitask", quick = protocol.Quick, machine = Machine.Describe(), protocol, runs = runs.Count, wallHours = hours,
            verdict = Findings.Summary(gates, findings), gates, findings = findings.Select(f => new { f.Claim, outcome = f.Word, f.Evidence }),
            experiments = runs.ToDictionary(kv => kv.Key, kv => kv.Value.GetProperty("id").GetString()),
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }), ct);
        Console.WriteLine(md.ToString());
    }

    private IEnumerable<string> AllSingle() => MultitaskScenario.AllTasks.Select(t => $"single-{t}");

    private static void Heatmap(string path, string title, double[] values)
    {
        int n = MultitaskScenario.AllTasks.Length;
        var data = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) data[i, j] = values[i * n + j];
        var plot = new Plot();
        var map = plot.Add.Heatmap(data);
        plot.Add.ColorBar(map);
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++)
            plot.Add.Text(data[i, j].ToString("0.00", CultureInfo.InvariantCulture), j, n - 1 - i);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, n).Select(x => (double)x).ToArray(), MultitaskScenario.AllTasks.Select(t => $"→ {t}").ToArray());
        plot.Axes.Left.SetTicks(Enumerable.Range(0, n).Select(x => (double)(n - 1 - x)).ToArray(), MultitaskScenario.AllTasks);
        plot.Title(title);
        plot.SavePng(path, 700, 600);
    }
}
