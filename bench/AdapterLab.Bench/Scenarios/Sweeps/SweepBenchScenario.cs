using System.Globalization;
using System.Text;
using System.Text.Json;
using AdapterLab.Bench.Runner;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Contracts.Specs;
using AdapterLab.Statistics;
using static AdapterLab.Bench.Runner.ReportFormat;

namespace AdapterLab.Bench.Scenarios.Sweeps;

/// <summary>
/// <c>./platform bench sweeps</c>: does asynchronous successive halving find what the full grid finds, for a third of its
/// compute (<see cref="SweepBenchProtocol"/>)? The grid runs through the classification report's archive (its runs are
/// reused, and the ones trained here serve the report too); the searches are the platform's own sweeps (created through
/// the API, resumed by name when a sitting is interrupted), their confirmation runs archived so a later sitting on a fresh
/// checkout reads them instead of searching again. Writes <c>bench/results/sweeps.md</c> and <c>sweeps.json</c>.
/// </summary>
public sealed class SweepBenchScenario(PlatformClient client, string resultsDir, bool quick) : IScenario
{
    public string Name => "sweeps";

    private sealed record Repetition(int Number, string DefinitionJson, JsonElement Sweep, IReadOnlyList<JsonElement> Confirmations,
        IReadOnlyList<PredictionsFile?> Predictions);

    public async Task RunAsync(CancellationToken ct)
    {
        var p = new SweepBenchProtocol(quick);
        var report = p.Report;
        var cell = p.Cell;
        var wanted = ReportBackbones.All(quick).Single(b => b.Key == cell.Backbone);
        var root = RunArchive.Root(resultsDir, quick);
        var runArchive = new RunArchive(root, quick ? "adapters-quick" : "adapters");
        var sweepArchive = new RunArchive(root, quick ? "sweeps-quick" : "sweeps");
        var (docs, blobs) = await ReportBackbones.EnsureAsync(client, [wanted], runArchive, ct);
        string blob = blobs[wanted.Spec.Backbone.RegisterAs!];
        var batch = new ExperimentBatch(client, new RunLedger(Path.Combine(resultsDir, ".ledger", quick ? "sweeps-quick.json" : "sweeps.json")), runArchive, blobs);

        // 1. The grid: every configuration with the grid's seeds (validation), then the winner's other seeds (test).
        string Key((double X, int D) c, int seed) => SweepGrid.Key(p, c, seed);
        ExperimentSpec Spec((double X, int D) c, int seed) => SweepGrid.Spec(p, wanted, c, seed);
        Console.WriteLine($"[{Name}] grid: {p.Grid.Count} configurations × {report.GridSeeds.Count} seeds");
        var (runs, validation, gridWinner) = await SweepGrid.RunAsync(p, wanted, batch, ct);
        Console.WriteLine($"[{Name}] grid winner: {SweepBenchProtocol.Describe(gridWinner.X, gridWinner.D)} (validation {validation[gridWinner]:0.000})");
        var winnerRuns = await batch.RunAsync(p.ConfirmSeeds.Select(s => (Key(gridWinner, s), Spec(gridWinner, s))).ToList(), ct);
        ExperimentBatch.RequireSucceeded(winnerRuns);
        var gridTable = PredictionTables.OutcomeTable(p.ConfirmSeeds.Select(s => batch.Predictions(Key(gridWinner, s))).ToList(), "test", Tasks.Classification, cell.Domain, "accuracy");

        // 2. The searches, one after another (each uses both agents).
        var repetitions = new List<Repetition>();
        foreach (int r in p.Repetitions) repetitions.Add(await SearchAsync(p, r, wanted, blob, sweepArchive, ct));

        // 3. The report.
        await WriteAsync(p, docs[wanted.Key], validation, gridWinner, runs.Values.Concat(winnerRuns.Values).ToList(), gridTable, repetitions, ct);
    }

    /// <summary>One repetition: archived (same definition, same backbone weights) or searched now through the platform.</summary>
    private async Task<Repetition> SearchAsync(SweepBenchProtocol p, int r, ReportBackbones.Backbone backbone, string blob, RunArchive archive, CancellationToken ct)
    {
        var definition = p.Definition(backbone.Named, backbone.Label, r).ToJsonString();
        string key = $"asha-r{r}";
        if (archive.Find(key) is { } saved && saved.Spec == definition)
        {
            var confirmations = Enumerable.Range(0, p.ConfirmSeeds.Count).Select(i => archive.Find($"{key}|confirm-{i}")).ToList();
            if (confirmations.All(c => c is not null && c.Spec == definition && RunArchive.RanOn(c.Experiment) == blob))
            {
                Console.WriteLine($"[{Name}] repetition {r}: read from the archive");
                return new Repetition(r, definition, saved.Experiment, confirmations.Select(c => c!.Experiment).ToList(), confirmations.Select(c => c!.Predictions).ToList());
            }
        }

        var sweep = await SweepRunner.RunAsync(client, definition, $"repetition {r}", ct);
        Guid id = sweep.GetProperty("summary").GetProperty("id").GetGuid();
        if (sweep.GetProperty("confirmation") is not { ValueKind: JsonValueKind.Object } confirmation)
            throw new BenchException($"sweep {id} finished without confirming its winner");
        var docs = new List<JsonElement>();
        var predictions = new List<PredictionsFile?>();
        foreach (var run in confirmation.GetProperty("runs").EnumerateArray().OrderBy(x => x.GetProperty("seed").GetInt32()))
        {
            var doc = await client.GetAsync(run.GetProperty("experimentId").GetGuid(), ct);
            if (doc.GetProperty("status").GetString() != "Succeeded") throw new BenchException($"sweep {id}'s confirmation {doc.GetProperty("id")} ended {doc.GetProperty("status")}");
            docs.Add(doc);
            predictions.Add(await client.PredictionsAsync(doc, ct));
        }
        for (int i = 0; i < docs.Count; i++) archive.Save($"{key}|confirm-{i}", definition, docs[i], predictions[i], null);
        archive.Save(key, definition, sweep, null, null);
        return new Repetition(r, definition, sweep, docs, predictions);
    }

    /// <summary>
    /// The grid winner's configuration in a search over the grid's own configurations: its value and rank at every rung it
    /// reached, and whether it was chosen or cut (null when the search did not try it, e.g. a search drawing from ranges).
    /// </summary>
    private static string? GridWinnerPath(SweepBenchProtocol p, Repetition r, (double X, int D) gridWinner)
    {
        var trials = r.Sweep.GetProperty("trials").EnumerateArray().ToList();
        var ladder = r.Sweep.GetProperty("brackets")[0].EnumerateArray().Select(x => x.GetInt32()).ToList();
        var rungsOf = trials.ToDictionary(t => t.GetProperty("index").GetInt32(),
            t => t.GetProperty("rungs").EnumerateObject().ToDictionary(x => int.Parse(x.Name, CultureInfo.InvariantCulture), x => x.Value.GetDouble()));
        (double X, int D) Configuration(JsonElement t)
        {
            var v = t.GetProperty("values");
            int d = v.GetProperty("method.bottleneck").GetInt32();
            return (v.GetProperty("training.learningRate").GetDouble() / p.Report.LearningRate(SweepBenchProtocol.Variant(d), 1), d);
        }
        var winner = trials.FirstOrDefault(t => Configuration(t) is var c && c.D == gridWinner.D && Math.Abs(c.X / gridWinner.X - 1) < 1e-9);
        if (winner.ValueKind != JsonValueKind.Object) return null;
        int index = winner.GetProperty("index").GetInt32();
        var steps = new List<string>();
        foreach (var (rung, value) in rungsOf[index].OrderBy(x => x.Key))
        {
            var at = rungsOf.Values.Where(x => x.ContainsKey(rung)).Select(x => x[rung]).ToList();
            int above = at.Count(v => v > value), tied = at.Count(v => v == value) - 1;
            string rank = tied > 0 ? $"{Ordinal(above + 1)}–{Ordinal(above + 1 + tied)} (tied)" : Ordinal(above + 1);
            string bySeed = rung == ladder.Count - 1 && winner.TryGetProperty("finalSeeds", out var fs) && fs.ValueKind == JsonValueKind.Array
                ? $" (seeds {string.Join(", ", fs.EnumerateArray().Select(x => $"{x.GetProperty("seed").GetInt32()}: {(x.GetProperty("value").ValueKind == JsonValueKind.Number ? x.GetProperty("value").GetDouble().ToString("0.000", CultureInfo.InvariantCulture) : "—")}"))})"
                : "";
            steps.Add($"{value:0.000}{bySeed} at {ladder[rung]} steps ({rank} of {at.Count})");
        }
        bool chosen = r.Sweep.GetProperty("confirmation").GetProperty("winnerIndex").GetInt32() == index;
        string fate = chosen ? "chosen" : $"{winner.GetProperty("status").GetString()!.ToLowerInvariant()}, not chosen";
        // Every configuration judged at the full budget, best first: whom the search chose between.
        int last = ladder.Count - 1;
        var finalists = trials.Select(t => (Configuration: Configuration(t), Rungs: rungsOf[t.GetProperty("index").GetInt32()]))
            .Where(t => t.Rungs.ContainsKey(last)).OrderByDescending(t => t.Rungs[last])
            .Select(t => $"{SweepBenchProtocol.Describe(t.Configuration.X, t.Configuration.D)} {t.Rungs[last]:0.000}").ToList();
        return $"repetition {r.Number}: trial {index}, {string.Join(" → ", steps)}: **{fate}**; judged at {ladder[last]} steps: {string.Join(", ", finalists)}";
    }

    private static string Ordinal(int n) => n + (n % 100 is 11 or 12 or 13 ? "th" : (n % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" });

    private async Task WriteAsync(SweepBenchProtocol p, JsonElement pretraining, Dictionary<(double X, int D), double> validation, (double X, int D) gridWinner,
        List<JsonElement> gridRuns, SeedExampleTable? gridTable, List<Repetition> repetitions, CancellationToken ct)
    {
        var cell = p.Cell;
        var md = new StringBuilder();
        var gridEstimate = gridTable is null ? null : Intervals.Mean(gridTable).ClampedTo(0, 1);
        // A search's trials and confirmations train between its creation and its end.
        var all = WallTime.Of(gridRuns.Concat(repetitions.SelectMany(r => r.Confirmations)))
            .Concat(repetitions.Select(r => r.Sweep.GetProperty("summary")).Where(s => s.GetProperty("finishedAt").ValueKind == JsonValueKind.String)
                .Select(s => (s.GetProperty("createdAt").GetDateTimeOffset(), s.GetProperty("finishedAt").GetDateTimeOffset()))).ToList();
        md.AppendLine($"# Sweeps: ASHA against the full grid ({ReportBackbones.Preset}){(p.Quick ? " — QUICK smoke run, not a result" : "")}");
        md.AppendLine();
        md.AppendLine($"`./platform bench sweeps{(p.Quick ? " --quick" : "")}` through the platform on {Machine.Describe()}. " +
            $"AdaptFormer on {cell.Title}, the classification report's protocol ({p.Report.Steps} steps × {p.Report.BatchSize}, AdamW, 10 % warm-up, cosine; {p.Report.TestSize:N0} test images). " +
            $"Space: learning rate ×{string.Join(", ×", p.Multipliers)} of the method's default × d̂ ∈ {{{string.Join(", ", p.Bottlenecks)}}} ({p.Grid.Count} configurations, the same for both). Backbone: {ReportBackbones.All(p.Quick).Single(b => b.Key == cell.Backbone).Label} (experiment {pretraining.GetProperty("id").GetString()}).");
        md.AppendLine();
        md.AppendLine($"**Grid**: {p.Grid.Count} configurations × seeds {{{string.Join(", ", p.Report.GridSeeds)}}} = **{p.GridSteps:N0} training steps**, chosen on mean validation accuracy; " +
            $"winner **{SweepBenchProtocol.Describe(gridWinner.X, gridWinner.D)}**, test over seeds {{{string.Join(", ", p.ConfirmSeeds)}}}: {Ci(gridEstimate)}.");
        md.AppendLine();
        md.AppendLine("| lr multiplier | " + string.Join(" | ", p.Bottlenecks.Select(d => $"d̂ = {d}")) + " |");
        md.AppendLine("|---|" + string.Concat(p.Bottlenecks.Select(_ => "---|")));
        foreach (var x in p.Multipliers)
            md.AppendLine($"| ×{x:0.###} | " + string.Join(" | ", p.Bottlenecks.Select(d => (x, d) == gridWinner ? $"**{validation[(x, d)]:0.000}**" : validation[(x, d)].ToString("0.000", CultureInfo.InvariantCulture))) + " |");
        md.AppendLine();
        string tolerance = p.PromotionTolerance > 0 ? $"once every configuration has started, trials within {p.PromotionTolerance} of a rung's cut are promoted too, with the budget left; " : "no promotion tolerance; ";
        string seeds = p.FinalRungSeeds > 1 ? $"each trial reaching {p.Report.Steps} steps judged on the mean of {p.FinalRungSeeds} seeds (its own run and {(p.FinalRungSeeds == 2 ? "a replicate on the next seed" : "replicates on the next seeds")}, trained straight through, their steps counted); " : "";
        md.AppendLine($"**ASHA** (the platform's sweep: η = {p.Eta}, rungs {p.MinSteps} / {p.Report.Steps} steps, each of the {p.MaxTrials} configurations tried once in an order seeded by the repetition, at most {p.StepBudget:N0} steps = {SweepBenchProtocol.StepShare:P0} of the grid's; {tolerance}{seeds}trials train with seed {string.Join(", ", p.Repetitions.Select(SweepBenchProtocol.TrialSeed))} in repetitions {string.Join(", ", p.Repetitions)}; " +
            $"the winner confirmed with seeds {{{string.Join(", ", p.ConfirmSeeds)}}} — the grid winner's test seeds, so the difference is paired by seed and image). " +
            $"Target per repetition: equivalent to the grid winner within ±{SweepBenchProtocol.Margin * 100:0} point (TOST, 95 %) at ≤ {SweepBenchProtocol.StepShare:P0} of the grid's steps.");
        md.AppendLine();
        md.AppendLine("| repetition | trials | search steps | share of the grid's | winner | winner's test [95 % CI] | − grid winner [95 % CI] | equivalent (±1 point) | target |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|");
        var rows = new List<object>();
        foreach (var r in repetitions)
        {
            var summary = r.Sweep.GetProperty("summary");
            long steps = summary.GetProperty("stepsTrained").GetInt64();
            double share = steps / (double)p.GridSteps;
            var leader = r.Sweep.GetProperty("trials").EnumerateArray().Single(t => t.GetProperty("index").GetInt32() == r.Sweep.GetProperty("confirmation").GetProperty("winnerIndex").GetInt32());
            var values = leader.GetProperty("values");
            double lr = values.GetProperty("training.learningRate").GetDouble();
            int d = values.GetProperty("method.bottleneck").GetInt32();
            double multiplier = lr / p.Report.LearningRate(SweepBenchProtocol.Variant(d), 1);
            var table = PredictionTables.OutcomeTable(r.Predictions, "test", Tasks.Classification, cell.Domain, "accuracy");
            var estimate = table is null ? null : Intervals.Mean(table).ClampedTo(0, 1);
            var diff = table is not null && gridTable is not null ? Comparisons.Paired(table, gridTable) : null;
            double? tost = diff is null ? null : Comparisons.EquivalenceP(diff.Estimate, SweepBenchProtocol.Margin);
            bool identical = diff is not null && diff.Estimate.Value == 0 && diff.Estimate.Lower == 0 && diff.Estimate.Upper == 0;
            bool equivalent = tost < Verdict.Alpha || identical;
            bool met = equivalent && share <= SweepBenchProtocol.StepShare;
            string eq = diff is null ? "untestable (predictions missing)"
                : identical ? "**yes** — identical runs: the same configuration and seeds as the grid winner (training is deterministic on the CPU)"
                : equivalent ? $"**yes** (TOST {Verdict.P(tost!.Value)})" : $"**no** (TOST {Verdict.P(tost!.Value)}: not shown within ±1 point)";
            md.AppendLine($"| {r.Number} | {summary.GetProperty("trials").GetInt32()} | {steps:N0} | {share:P1} | {SweepBenchProtocol.Describe(multiplier, d)} | {Ci(estimate)} | {DiffCi(diff)} | {eq} | {(met ? "met" : "**missed**")} |");
            rows.Add(new { repetition = r.Number, sweep = r.Sweep.GetProperty("summary").GetProperty("id").GetString(), trials = summary.GetProperty("trials").GetInt32(), steps, share, multiplier, bottleneck = d,
                test = estimate?.Value, lower = estimate?.Lower, upper = estimate?.Upper, difference = diff?.Estimate.Value, differenceLower = diff?.Estimate.Lower, differenceUpper = diff?.Estimate.Upper, tost, identical, equivalent, met });
        }
        md.AppendLine();
        var paths = repetitions.Select(r => GridWinnerPath(p, r, gridWinner)).Where(x => x is not null).ToList();
        if (paths.Count > 0)
        {
            md.AppendLine($"**Where the grid's winner went** in each search (its value at each rung{(p.FinalRungSeeds > 1 ? $" — at {p.Report.Steps} steps the mean over its seeds, each seed's value in parentheses" : "")}; its rank among the trials that reached the rung; η = {p.Eta} promotes the top {(p.Eta == 3 ? "third" : $"1/{p.Eta}")}{(p.PromotionTolerance > 0 ? $", and those within {p.PromotionTolerance} of its cut once every configuration has started" : "")}):");
            md.AppendLine();
            foreach (var line in paths) md.AppendLine($"- {line}");
            md.AppendLine();
        }
        int metCount = rows.Count(x => (bool)x.GetType().GetProperty("met")!.GetValue(x)!);
        md.AppendLine($"**Bench target: {(metCount == repetitions.Count ? "met" : "missed")}** — met in {metCount} of {repetitions.Count} repetitions (the target needs every one). " +
            $"Wall time while any of these runs or searches trained: {WallTime.BusyHours(all):F2} h (grid runs shared with the classification report count once, where they ran).");
        md.AppendLine();
        if (p.History.Count > 0)
        {
            md.AppendLine("**Earlier registrations** (each registered before its runs; this report is the latest):");
            md.AppendLine();
            foreach (var line in p.History) md.AppendLine($"- {line}");
            md.AppendLine();
        }
        var json = JsonSerializer.Serialize(new
        {
            scenario = Name, quick = p.Quick, machine = Machine.Describe(), gridSteps = p.GridSteps, stepBudget = p.StepBudget,
            grid = validation.Select(v => new { multiplier = v.Key.X, bottleneck = v.Key.D, validation = v.Value }),
            gridWinner = new { multiplier = gridWinner.X, bottleneck = gridWinner.D, test = gridEstimate?.Value, lower = gridEstimate?.Lower, upper = gridEstimate?.Upper },
            repetitions = rows, met = metCount == repetitions.Count,
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
        string name = Name + (p.Quick ? "-quick" : "");
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{name}.json"), json, ct);
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{name}.md"), md.ToString(), ct);
        Console.WriteLine(md.ToString());
    }
}
