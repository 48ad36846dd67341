using System.Globalization;
using System.Text;
using System.Text.Json;
using AdapterLab.Bench.Runner;
using static AdapterLab.Bench.Runner.ReportFormat;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Contracts.Specs;
using AdapterLab.Statistics;

namespace AdapterLab.Bench.Scenarios.Adapters;

/// <summary>
/// Renders the classification report: per cell (a ShapesWorld task, or a digit label budget, on one backbone) the gates,
/// then the papers' findings judged by the statistics library (Holm within the cell, TOST for "close to"), then per cell a table in the methods' fixed order — never a ranking — with intervals that include
/// test-set sampling (seeds × test images), paired differences, floors, trainable shares, branch ratios and collapse
/// marks; task A's d̂ curve with its saturating fit and knee, placement, prompt tokens and the seeds a 0.85-point
/// difference would need; the learning-rate grids; figures as PNG beside the report.
/// </summary>
public sealed class AdaptersReport(
    AdaptersProtocol protocol,
    IReadOnlyDictionary<string, JsonElement> runs,
    IReadOnlyDictionary<string, PredictionsFile?> predictions,
    IReadOnlyDictionary<string, double?> branchRatios,
    IReadOnlyDictionary<string, double?> floors,
    IReadOnlyDictionary<(string Cell, string Method), Dictionary<double, double>> grids,
    Func<AdaptersProtocol.Cell, string, double> chosen,
    IReadOnlyDictionary<string, JsonElement> pretrained,
    IReadOnlyList<ReportBackbones.Backbone> backbones,
    string resultsDir)
{
    /// <summary>"Close to" (TOST) and the margins of the gates (ml-spec).</summary>
    private const double EquivalenceMargin = 0.01, BackboneGateMargin = 0.10, FinetuneGateMargin = 0.05, PlacementDifference = 0.0085;

    private sealed record Config(string Label, MethodSpec Method, double Multiplier, SeedResults Seeds, SeedExampleTable? Table,
        Estimate? Estimate, long Trainable, double Percent, double? BranchRatio, string Collapsed, ConfusionMatrix? Confusion, IReadOnlyList<string> Ids);

    private Config Result(AdaptersProtocol.Cell cell, string backbone, MethodSpec m)
    {
        double x = chosen(cell, m.Name);
        var keys = protocol.Seeds.Select(s => AdaptersProtocol.Key(cell, backbone, m, x, s)).ToList();
        var docs = keys.Select(k => runs[k]).ToList();
        var table = PredictionTables.OutcomeTable(keys.Select(k => predictions[k]).ToList(), "test", Tasks.Classification, cell.Domain, "accuracy");
        var seeds = SeedResults.Of(docs.Select(d => ExperimentBatch.Result(d, "test", cell.Domain, "accuracy") ?? double.NaN));
        long trainable = docs[0].GetProperty("trainableParameters").GetInt64();
        // Collapse: a class taking > 90 % of a seed's test predictions (ml-spec); the first seed's confusion matrix is shown.
        var sets = keys.Select(k => PredictionTables.Model(predictions[k], "test", Tasks.Classification, cell.Domain)).ToList();
        var matrices = sets.Select(s => s is { Labels: { } l, Predicted: { } p } ? ConfusionMatrix.From(l, p, cell.Classes) : null).ToList();
        var collapsed = matrices.Select((c, i) => (c, i)).Where(x => x.c?.Collapsed == true).Select(x => $"seed {protocol.Seeds[x.i]}").ToList();
        // Accuracy is a proportion: its interval is clamped to [0, 1] (few seeds give wide t intervals).
        return new Config(AdaptersProtocol.Describe(m), m, x, seeds, table, table is null ? null : Intervals.Mean(table).ClampedTo(0, 1), trainable,
            AdaptersProtocol.PercentOfBackbone(trainable, ReportBackbones.Preset), branchRatios.GetValueOrDefault(keys[0]),
            collapsed.Count == 0 ? "no" : $"**collapsed** ({string.Join(", ", collapsed)})", matrices[0],
            docs.Select(d => d.GetProperty("id").GetString()!).ToList());
    }

    private static Difference? Paired(Config a, Config b, double shift = 0) =>
        a.Table is { } ta && b.Table is { } tb ? Comparisons.Paired(shift == 0 ? ta : Shift(ta, -shift), tb) : null;

    private static Claim Better(string text, Config a, Config b) =>
        new(text, ClaimKind.Better, Paired(a, b), Untestable: a.Table is null || b.Table is null ? "per-example predictions missing" : null);

    private static Claim Equivalent(string text, Config a, Config b) =>
        new(text, ClaimKind.Equivalent, Paired(a, b), Margin: EquivalenceMargin, Untestable: a.Table is null || b.Table is null ? "per-example predictions missing" : null);

    /// <summary>A margin gate: a − b − margin is positive and significant (one paired test, not part of the findings' family).</summary>
    private static (bool Passed, string Evidence) MarginGate(string label, Config a, Config b, double margin)
    {
        var shifted = Paired(a, b, margin);
        var plain = Paired(a, b);
        if (shifted is null || plain is null) return (false, $"{label}: predictions missing");
        // Passes when the shifted difference is positive and its two-sided test rejects at α: a one-sided test of
        // "a − b > margin" at α/2, whose p-value is what the evidence shows (a two-sided p alone reads as a pass even
        // when the difference is significantly below the margin).
        bool passed = shifted.Estimate.Value > 0 && shifted.PValue < Verdict.Alpha;
        double oneSided = shifted.Estimate.Value > 0 ? shifted.PValue / 2 : 1 - shifted.PValue / 2;
        return (passed, $"{label}: {SeedResults.Signed(plain.Estimate.Value)} [{SeedResults.Signed(plain.Estimate.Lower)}, {SeedResults.Signed(plain.Estimate.Upper)}]; one-sided {Verdict.P(oneSided)} for a difference > {margin * 100:0} points (needs < {Verdict.Alpha / 2:0.###})");
    }

    private sealed record Group(string Title, IReadOnlyList<AdaptersProtocol.Cell> Cells, IReadOnlyList<Gate> Gates, IReadOnlyList<Finding> Findings, IReadOnlyList<Claim> Claims);

    public async Task WriteAsync(string name, CancellationToken ct)
    {
        string figures = Path.Combine(resultsDir, name);
        Directory.CreateDirectory(figures);
        var md = new StringBuilder();
        var cells = protocol.Cells;
        var results = cells.ToDictionary(c => c.Key, c => protocol.Methods(c).Select(m => Result(c, c.Backbone, m)).ToList());
        var randomProbe = cells.ToDictionary(c => c.Key, c => Result(c, "random", AdaptersProtocol.MainVariant(Methods.LinearProbe)) with { Label = "linear-probe on a random backbone (control)" });
        Config Of(AdaptersProtocol.Cell c, string method) => results[c.Key].Single(r => r.Method.Name == method);

        // Budget: every run's own time and the span from the first submission to the last result.
        var all = runs.Values.Concat(pretrained.Values).ToList();
        double hours = (all.Max(x => x.GetProperty("finishedAt").GetDateTimeOffset()) - all.Min(x => x.GetProperty("submittedAt").GetDateTimeOffset())).TotalHours;
        double runHours = runs.Values.Sum(x => x.TryGetProperty("startedAt", out var s) && s.ValueKind == JsonValueKind.String
            ? (x.GetProperty("finishedAt").GetDateTimeOffset() - s.GetDateTimeOffset()).TotalHours : 0);

        md.AppendLine($"# Adaptation methods on held-out tasks and real digits ({ReportBackbones.Preset}){(protocol.Quick ? " — QUICK smoke run, not a result" : "")}");
        md.AppendLine();
        md.AppendLine($"`./platform bench adapters{(protocol.Quick ? " --quick" : "")}` through the platform on {Machine.Describe()}: **{runs.Count} runs**, {runHours:F1} h of training summed over the runs, {hours:F1} h from the first submission to the last result (resumable: that span includes any pause between sittings; the agents as the platform had them).");
        md.AppendLine();
        md.AppendLine("**Protocol.** " +
            $"Every run {protocol.Steps} steps × {protocol.BatchSize}, the platform's recipe (AdamW, no decay on adapters, prompts and biases, 10 % warm-up, cosine). " +
            $"ShapesWorld cells: {protocol.TrainSize:N0} labelled `fog` scenes, {protocol.ValidationSize} validation, **{protocol.TestSize:N0} test** (the same images for every seed and method). " +
            "MNIST cells: k labelled digits per class from the training split; validation and test are the dataset's fixed splits (test never read by training). " +
            $"Learning rate per method and grid cell: multipliers of the method's default {{{string.Join(", ", protocol.InitialGrid)}}}, extended past a winning edge, chosen on the mean validation accuracy of seeds {string.Join(", ", protocol.GridSeeds)}; the test split is read once. " +
            $"Seeds {string.Join(", ", protocol.Seeds)} at the chosen rate. Intervals: 95 %, over seeds × test images; differences paired by seed and image; gates and findings per cell (gates pooled over cells until this run's first report: a failed gate on one task blocked the other's verdicts), Holm over each cell's directional findings; TOST (±{EquivalenceMargin * 100:0} point) for \"close to\".");
        md.AppendLine();
        md.AppendLine("**Backbones** (frozen; the backbones issue's gated ones):");
        foreach (var b in backbones)
            md.AppendLine($"- {b.Label}: `{b.Spec.Backbone.RegisterAs}`, {b.Spec.Training.Steps} steps × {b.Spec.Training.BatchSize}, experiment {pretrained[b.Key].GetProperty("id").GetString()}.");
        md.AppendLine();

        // Gates and findings per cell: a cell (task or label budget × backbone) is its own question — whether full
        // fine-tuning leaves room for adapters on task A says nothing about task B — and Holm runs over its findings.
        var groups = new List<Group>();
        foreach (var cell in cells)
        {
            var gc = new List<AdaptersProtocol.Cell> { cell };
            string title = $"{cell.Title} — {backbones.Single(b => b.Key == cell.Backbone).Label}";
            var backboneGate = gc.Select(c => MarginGate(c.Key, Of(c, Methods.LinearProbe), randomProbe[c.Key], BackboneGateMargin)).ToList();
            var finetuneGate = gc.Where(c => protocol.Methods(c).Any(m => m.Name == Methods.FullFinetune))
                .Select(c => MarginGate(c.Key, Of(c, Methods.FullFinetune), Of(c, Methods.LinearProbe), FinetuneGateMargin)).ToList();
            var floorRows = gc.SelectMany(c => results[c.Key].Select(r => (c, r))).ToList();
            var atFloor = floorRows.Where(x => x.r.Estimate is not { } e || FloorCheck.AtFloor(e, Math.Max(floors[x.c.Key] ?? 1, 1.0 / x.c.Classes), true)).ToList();
            var gates = new List<Gate>
            {
                new($"the pretrained backbone's probe beats the random backbone's by ≥ {BackboneGateMargin * 100:0} points", backboneGate.All(g => g.Passed), string.Join("; ", backboneGate.Select(g => g.Evidence))),
                new($"full fine-tuning beats the linear probe by ≥ {FinetuneGateMargin * 100:0} points", finetuneGate.Count > 0 && finetuneGate.All(g => g.Passed), finetuneGate.Count == 0 ? "not run" : string.Join("; ", finetuneGate.Select(g => g.Evidence))),
                new("every method beats every floor (chance, majority class) beyond its interval", atFloor.Count == 0,
                    atFloor.Count == 0 ? $"all {floorRows.Count} above" : $"at a floor: {string.Join(", ", atFloor.Take(6).Select(x => $"{x.c.Key}/{x.r.Label} {x.r.Estimate?.Value:0.000}"))}"),
                SeedResults.SeedsDifferGate(floorRows.Select(x => ($"{x.c.Key}/{x.r.Label}", x.r.Seeds)).ToList()),
            };
            var claims = new List<Claim>();
            foreach (var c in gc)
            {
                var methods = protocol.Methods(c).Select(m => m.Name).ToHashSet();
                Config lp = Of(c, Methods.LinearProbe), af = Of(c, Methods.AdaptFormer);
                if (methods.Contains(Methods.VptDeep))
                {
                    claims.Add(Better($"{c.Key}: VPT-deep beats the linear probe", Of(c, Methods.VptDeep), lp));
                    claims.Add(Better($"{c.Key}: AdaptFormer beats VPT-deep", af, Of(c, Methods.VptDeep)));
                }
                claims.Add(Better($"{c.Key}: AdaptFormer beats the linear probe", af, lp));
                if (methods.Contains(Methods.FullFinetune))
                    claims.Add(Equivalent($"{c.Key}: AdaptFormer close to full fine-tuning (±{EquivalenceMargin * 100:0} point) at {af.Percent:0.##} % of the backbone's parameters", af, Of(c, Methods.FullFinetune)));
            }
            if (gc.Contains(cells[0]))
            {
                var sweep = Sweep(cells[0]);
                var byD = sweep.Bottleneck;
                claims.Add(Better($"A: accuracy rises with d̂ (d̂ = {byD[^1].D} beats d̂ = {byD[0].D})", byD[^1].Config, byD[0].Config));
                if (byD.FirstOrDefault(x => x.D == 16) is { Config: { } d16 } && byD[^1].D > 16)
                    claims.Add(Equivalent($"A: accuracy saturates (d̂ = {byD[^1].D} close to d̂ = 16, ±{EquivalenceMargin * 100:0} point)", byD[^1].Config, d16));
                claims.Add(Better("A: parallel beats sequential (d̂ = 8)", Of(cells[0], Methods.AdaptFormer), sweep.Sequential));
            }
            groups.Add(new Group(title, gc, gates, Findings.Judge(gates, claims), claims));
        }

        md.AppendLine("## Verdicts");
        md.AppendLine();
        foreach (var g in groups)
        {
            md.AppendLine($"### {g.Title}");
            md.AppendLine();
            md.Append(Findings.Markdown(g.Gates, g.Findings));
            md.AppendLine();
        }

        // Per cell: the table in fixed method order, floors as rows.
        foreach (var c in cells)
        {
            var rows = results[c.Key];
            var lp = Of(c, Methods.LinearProbe);
            md.AppendLine($"## {c.Title}");
            md.AppendLine();
            md.AppendLine($"Backbone: {backbones.Single(b => b.Key == c.Backbone).Label}. Learning rates {(c.GridFrom is null ? "from this cell's grid" : c.GridFrom == "defaults" ? "at the defaults (quick)" : $"from `{c.GridFrom}`'s grid")}.");
            md.AppendLine();
            md.AppendLine("| method | lr (× default) | test accuracy [95 % CI] | − linear probe [95 % CI] | trainable | % of backbone | branch ratio (end) | collapsed |");
            md.AppendLine("|---|---|---|---|---|---|---|---|");
            foreach (var r in rows)
            {
                var d = ReferenceEquals(r, lp) ? null : Paired(r, lp);
                md.AppendLine($"| {r.Label} | {protocol.LearningRate(r.Method, r.Multiplier):0.#####} (×{r.Multiplier:0.###}) | {Ci(r.Estimate)} | {(d is null ? "—" : DiffCi(d))} | {r.Trainable:N0} | {r.Percent:0.###} | {(r.BranchRatio is { } b ? b.ToString("0.000", CultureInfo.InvariantCulture) : "—")} | {r.Collapsed} |");
            }
            var rp = randomProbe[c.Key];
            md.AppendLine($"| *floor*: {rp.Label} | ×{rp.Multiplier:0.###} | {Ci(rp.Estimate)} | {DiffCi(Paired(rp, lp))} | {rp.Trainable:N0} | | | {rp.Collapsed} |");
            md.AppendLine($"| *floor*: majority class (train split's most common class, on the same test images) | | {Fmt(floors[c.Key])} | | | | | |");
            md.AppendLine($"| *floor*: chance | | {1.0 / c.Classes:0.000} | | | | | |");
            md.AppendLine();
            var chart = $"accuracy-vs-trainable-{c.Key}.png";
            ReportCharts.Write(Path.Combine(figures, chart), $"{c.Key}: test accuracy against trainable parameters", "trainable parameters, % of the backbone", "test accuracy",
                rows.Select(r => new ReportCharts.Series(r.Label, [Math.Max(r.Percent, 1e-3)], [r.Estimate?.Value ?? double.NaN], [r.Estimate?.Lower ?? double.NaN], [r.Estimate?.Upper ?? double.NaN], Line: false)).ToList(),
                logX: true, [new("majority class", floors[c.Key] ?? double.NaN), new("random-backbone probe", rp.Estimate?.Value ?? double.NaN)]);
            md.AppendLine($"![{c.Key}: accuracy against trainable parameters]({name}/{chart})");
            md.AppendLine();
            md.AppendLine("<details><summary>Confusion matrices (seed 1; rows: true class, columns: predicted)</summary>");
            md.AppendLine();
            foreach (var r in rows.Append(rp).Where(r => r.Confusion is not null))
                md.AppendLine($"- {r.Label}: {string.Join(" / ", r.Confusion!.Counts.Select(row => string.Join(" ", row)))}");
            md.AppendLine();
            md.AppendLine("</details>");
            md.AppendLine();
        }

        // Task A's sweeps.
        var a = cells[0];
        var s = Sweep(a);
        md.AppendLine($"## Task A: AdaptFormer's bottleneck d̂, placement and VPT's prompt tokens");
        md.AppendLine();
        md.AppendLine("| d̂ | test accuracy [95 % CI] | trainable | % of backbone | branch ratio (end) |");
        md.AppendLine("|---|---|---|---|---|");
        foreach (var (d, cfg) in s.Bottleneck) md.AppendLine($"| {d} | {Ci(cfg.Estimate)} | {cfg.Trainable:N0} | {cfg.Percent:0.###} | {(cfg.BranchRatio is { } b ? b.ToString("0.000", CultureInfo.InvariantCulture) : "—")} |");
        md.AppendLine();
        SaturatingFit? fit = s.Bottleneck.Count >= 3 ? SaturatingFit.Fit(s.Bottleneck.Select(x => (double)x.D).ToList(), s.Bottleneck.Select(x => x.Config.Estimate?.Value ?? double.NaN).ToList()) : null;
        if (fit is not null)
        {
            int largest = s.Bottleneck[^1].D;
            string knee = fit.Knee <= largest
                ? $"**knee (90 % of the rise) at d̂ ≈ {fit.Knee:0.#}**"
                : $"**no knee within the measured range**: 90 % of the fitted rise would need d̂ ≈ {(fit.Knee < 1e6 ? fit.Knee.ToString("N0", CultureInfo.InvariantCulture) : "> 10⁶")}, beyond the largest d̂ = {largest}, so the curve is still rising (slowly) where it was measured and the plateau is an extrapolation";
            md.AppendLine($"Saturating fit y = a − b·exp(−log₂ d̂ / τ): plateau a = {fit.Plateau:0.000}, rise b = {fit.Rise:0.000}, τ = {fit.Tau:0.00}, RMSE {fit.RootMeanSquareError:0.0000}; {knee}.");
        }
        var dChart = "bottleneck.png";
        var fitSeries = fit is null ? [] : new[] { new ReportCharts.Series("saturating fit", Enumerable.Range(0, 61).Select(i => Math.Pow(2, i / 10.0)).ToList(), Enumerable.Range(0, 61).Select(i => fit.At(Math.Pow(2, i / 10.0))).ToList()) };
        ReportCharts.Write(Path.Combine(figures, dChart), "Task A: AdaptFormer test accuracy against the bottleneck d̂", "bottleneck d̂", "test accuracy",
            [new ReportCharts.Series("measured (95 % CI)", s.Bottleneck.Select(x => (double)x.D).ToList(), s.Bottleneck.Select(x => x.Config.Estimate?.Value ?? double.NaN).ToList(),
                s.Bottleneck.Select(x => x.Config.Estimate?.Lower ?? double.NaN).ToList(), s.Bottleneck.Select(x => x.Config.Estimate?.Upper ?? double.NaN).ToList(), Line: false), .. fitSeries],
            logX: true, [new("linear probe", Of(a, Methods.LinearProbe).Estimate?.Value ?? double.NaN)]);
        md.AppendLine();
        md.AppendLine($"![Task A: accuracy against d̂]({name}/{dChart})");
        md.AppendLine();
        var par = Of(a, Methods.AdaptFormer);
        var placement = Paired(par, s.Sequential);
        var perSeed = par.Seeds.Values.Zip(s.Sequential.Seeds.Values).Select(p => p.First - p.Second).ToList();
        double sd = perSeed.Count > 1 ? Math.Sqrt(perSeed.Sum(v => Math.Pow(v - perSeed.Average(), 2)) / (perSeed.Count - 1)) : double.NaN;
        md.AppendLine($"**Parallel vs sequential** (d̂ = 8): parallel {Ci(par.Estimate)}, sequential {Ci(s.Sequential.Estimate)}; difference {(placement is null ? "n/a" : DiffCi(placement))}. " +
            (double.IsFinite(sd) && sd > 0
                ? $"The per-seed paired differences spread by σ = {sd:0.0000}; detecting a {PlacementDifference * 100:0.##}-point difference (the paper's parallel − sequential) at 80 % power and α = 0.05 would take about **{SeedPower.SeedsToDetect(PlacementDifference, sd)} seeds** (normal approximation, seed spread only; the shared test images add no variance to a paired difference but bound what it can resolve)."
                : "The seed spread of the paired differences is not estimable here."));
        md.AppendLine();
        md.AppendLine("| VPT-deep prompt tokens | test accuracy [95 % CI] | trainable | % of backbone |");
        md.AppendLine("|---|---|---|---|");
        foreach (var (t, cfg) in s.Tokens) md.AppendLine($"| {t} | {Ci(cfg.Estimate)} | {cfg.Trainable:N0} | {cfg.Percent:0.###} |");
        md.AppendLine();

        // Learning-rate grids.
        md.AppendLine("## Learning-rate grids (mean validation accuracy over the grid's seeds)");
        md.AppendLine();
        foreach (var gridCell in cells.Where(c => c.GridFrom is null))
        {
            var methods = protocol.Methods(gridCell);
            var multipliers = methods.SelectMany(m => grids[(gridCell.Key, m.Name)].Keys).Distinct().Order().ToList();
            md.AppendLine($"**{gridCell.Key}**");
            md.AppendLine();
            md.AppendLine($"| method | {string.Join(" | ", multipliers.Select(x => $"×{x:0.####}"))} | chosen | bracketed |");
            md.AppendLine($"|---|{string.Concat(multipliers.Select(_ => "---|"))}---|---|");
            foreach (var m in methods)
            {
                var g = grids[(gridCell.Key, m.Name)];
                double best = LearningRateGrid.Best(g);
                md.AppendLine($"| {m.Name} | {string.Join(" | ", multipliers.Select(x => g.TryGetValue(x, out var v) ? (x == best ? $"**{v:0.000}**" : v.ToString("0.000", CultureInfo.InvariantCulture)) : ""))} | ×{best:0.####} = {protocol.LearningRate(m, best):0.#####} | {(LearningRateGrid.Bracketed(g) ? "yes" : "**no** (edge point won at the grid's limit)")} |");
            }
            md.AppendLine();
            var lrChart = $"learning-rates-{gridCell.Key}.png";
            ReportCharts.Write(Path.Combine(figures, lrChart), $"{gridCell.Key}: validation accuracy against the learning-rate multiplier", "multiplier of the method's default learning rate", "validation accuracy",
                methods.Select(m => grids[(gridCell.Key, m.Name)].OrderBy(p => p.Key).ToList())
                    .Select((g, i) => new ReportCharts.Series(methods[i].Name, g.Select(p => p.Key).ToList(), g.Select(p => p.Value).ToList())).ToList(), logX: true);
            md.AppendLine($"![{gridCell.Key}: learning-rate curves]({name}/{lrChart})");
            md.AppendLine();
        }

        var json = JsonSerializer.Serialize(new
        {
            scenario = "adapters", quick = protocol.Quick, machine = Machine.Describe(), runs = runs.Count, trainingHours = runHours, wallHours = hours,
            protocol = new { protocol.Steps, protocol.BatchSize, protocol.TrainSize, protocol.ValidationSize, protocol.TestSize, protocol.Seeds, protocol.GridSeeds, protocol.InitialGrid },
            cells = cells.Select(c => new
            {
                c.Key, c.Title, backbone = c.Backbone, floor = floors[c.Key], chance = 1.0 / c.Classes,
                methods = results[c.Key].Append(randomProbe[c.Key]).Select(r => new { r.Label, r.Multiplier, mean = r.Estimate?.Value, lower = r.Estimate?.Lower, upper = r.Estimate?.Upper, perSeed = r.Seeds.Values, r.Trainable, r.Percent, r.BranchRatio, r.Collapsed, experiments = r.Ids }),
            }),
            sweep = new { bottleneck = s.Bottleneck.Select(x => new { d = x.D, mean = x.Config.Estimate?.Value, lower = x.Config.Estimate?.Lower, upper = x.Config.Estimate?.Upper }), fit, tokens = s.Tokens.Select(x => new { tokens = x.T, mean = x.Config.Estimate?.Value }) },
            grids = grids.Select(g => new { cell = g.Key.Cell, method = g.Key.Method, scores = g.Value.OrderBy(p => p.Key).Select(p => new { multiplier = p.Key, validation = p.Value }), best = LearningRateGrid.Best(g.Value), bracketed = LearningRateGrid.Bracketed(g.Value) }),
            groups = groups.Select(g => new { g.Title, verdict = Findings.Summary(g.Gates, g.Findings), g.Gates, findings = g.Findings.Select(f => new { f.Claim, outcome = f.Word, f.Evidence }) }),
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{name}.json"), json, ct);
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{name}.md"), md.ToString(), ct);
        Console.WriteLine(md.ToString());
    }

    private sealed record SweepResults(IReadOnlyList<(int D, Config Config)> Bottleneck, Config Sequential, IReadOnlyList<(int T, Config Config)> Tokens);

    private SweepResults Sweep(AdaptersProtocol.Cell a)
    {
        var af = AdaptersProtocol.MainVariant(Methods.AdaptFormer);
        var vpt = AdaptersProtocol.MainVariant(Methods.VptDeep);
        return new SweepResults(
            protocol.Bottlenecks.Select(d => (d, Result(a, a.Backbone, af with { Bottleneck = d }))).ToList(),
            Result(a, a.Backbone, af with { Placement = "sequential" }),
            protocol.PromptTokens.Select(t => (t, Result(a, a.Backbone, vpt with { PromptTokens = t }))).ToList());
    }
}
