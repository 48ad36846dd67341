using System.Globalization;
using System.Text;
using System.Text.Json;
using AdapterLab.Bench.Runner;
using static AdapterLab.Bench.Runner.ReportFormat;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Contracts.Specs;
using AdapterLab.Statistics;
using Config = AdapterLab.Bench.Scenarios.Adapters.AdaptersEvidence.Config;

namespace AdapterLab.Bench.Scenarios.Adapters;

/// <summary>
/// Renders the classification report: per cell (a ShapesWorld task, or a digit label budget, on one backbone) the gates,
/// then the papers' findings judged by the statistics library (Holm within the cell, TOST for "close to"), then per cell a table in the methods' fixed order — never a ranking — with intervals that include
/// test-set sampling (seeds × test images), paired differences, floors, trainable shares, branch ratios and collapse
/// marks; the sweep cell's d̂ curve with its saturating fit and knee, placement, prompt tokens and the seeds a 0.85-point
/// difference would need; the learning-rate grids; figures as PNG beside the report.
/// </summary>
public sealed class AdaptersReport(
    AdaptersProtocol protocol,
    AdaptersEvidence evidence,
    IReadOnlyDictionary<string, JsonElement> runs,
    IReadOnlyDictionary<string, double?> floors,
    IReadOnlySet<string> gatedOut,
    IReadOnlyDictionary<(string Cell, string Method), Dictionary<double, double>> grids,
    IReadOnlyDictionary<string, JsonElement> pretrained,
    IReadOnlyList<ReportBackbones.Backbone> backbones,
    string resultsDir)
{
    private const double EquivalenceMargin = AdaptersEvidence.EquivalenceMargin, PlacementDifference = 0.0085;
    private const string NotTrained = "not trained: this cell's gates failed on its gate runs, so nothing else was trained (gates first)";

    private static Difference? Paired(Config a, Config b) => AdaptersEvidence.Paired(a, b);

    private static Claim Better(string text, Config? a, Config? b) => a is null || b is null
        ? new(text, ClaimKind.Better, null, Untestable: NotTrained)
        : new(text, ClaimKind.Better, Paired(a, b), Untestable: a.Table is null || b.Table is null ? "per-example predictions missing" : null);

    private static Claim Equivalent(string text, Config? a, Config? b) => a is null || b is null
        ? new(text, ClaimKind.Equivalent, null, Margin: EquivalenceMargin, Untestable: NotTrained)
        : new(text, ClaimKind.Equivalent, Paired(a, b), Margin: EquivalenceMargin, Untestable: a.Table is null || b.Table is null ? "per-example predictions missing" : null);

    private sealed record Group(string Title, IReadOnlyList<AdaptersProtocol.Cell> Cells, IReadOnlyList<Gate> Gates, IReadOnlyList<Finding> Findings, IReadOnlyList<Claim> Claims);

    public async Task WriteAsync(string name, CancellationToken ct)
    {
        string figures = Path.Combine(resultsDir, name);
        Directory.CreateDirectory(figures);
        var md = new StringBuilder();
        var cells = protocol.Cells;
        // A cell whose gates failed on its gate runs trained only those (the probe and full fine-tuning).
        IReadOnlyList<MethodSpec> Trained(AdaptersProtocol.Cell c) => gatedOut.Contains(c.Key) ? protocol.GateMethods(c) : protocol.Methods(c);
        var results = cells.ToDictionary(c => c.Key, c => Trained(c).Select(m => evidence.Result(c, c.Backbone, m)).ToList());
        var randomProbe = cells.ToDictionary(c => c.Key, evidence.RandomProbe);
        Config Of(AdaptersProtocol.Cell c, string method) => results[c.Key].Single(r => r.Method.Name == method);
        Config? Find(AdaptersProtocol.Cell c, string method) => results[c.Key].SingleOrDefault(r => r.Method.Name == method);
        var sweepCell = cells.Single(c => c.Key == protocol.SweepCell);
        bool swept = !gatedOut.Contains(sweepCell.Key);

        // Budget: every run's own time and the span from the first submission to the last result.
        var all = runs.Values.Concat(pretrained.Values).ToList();
        double hours = (all.Max(x => x.GetProperty("finishedAt").GetDateTimeOffset()) - all.Min(x => x.GetProperty("submittedAt").GetDateTimeOffset())).TotalHours;
        double runHours = WallTime.Of(runs.Values).Sum(i => (i.End - i.Start).TotalHours);
        double busyHours = WallTime.BusyHours(WallTime.Of(all));

        md.AppendLine($"# Adaptation methods on held-out tasks and real digits ({ReportBackbones.Preset}){(protocol.Quick ? " — QUICK smoke run, not a result" : "")}");
        md.AppendLine();
        md.AppendLine($"`./platform bench adapters{(protocol.Quick ? " --quick" : "")}` through the platform on {Machine.Describe()}: **{runs.Count} runs**, **{busyHours:F1} h while any run trained** (the report's wall time on this machine's agents; pauses between sittings excluded), {runHours:F1} h summed over the runs (a run that spanned a pause counts it), {hours:F1} h from the first submission to the last result. {(gatedOut.Count == 0 ? "Every cell passed its margin gates on its gate runs, so every method was trained." : $"Gates first: {string.Join(", ", gatedOut.Order())} failed a margin gate on its gate runs (probe, full fine-tuning, random-backbone probe) and trained nothing else.")}");
        md.AppendLine();
        md.AppendLine("**Protocol.** " +
            $"Every run {protocol.Steps} steps × {protocol.BatchSize}, the platform's recipe (AdamW, no decay on adapters, prompts and biases, 10 % warm-up, cosine). " +
            $"ShapesWorld cells: {protocol.TrainSize:N0} labelled `fog` scenes{(protocol.Quick ? "" : $" ({AdaptersProtocol.CountingTrainSize:N0} for task C, registered after A and B failed their gates and before any run of its own; the sweeps moved from B to C with it)")}, {protocol.ValidationSize} validation, **{protocol.TestSize:N0} test** (the same images for every seed and method). " +
            "MNIST cells: k labelled digits per class from the training split; validation and test are the dataset's fixed splits (test never read by training). " +
            $"Learning rate per method and grid cell: multipliers of the method's default {{{string.Join(", ", protocol.InitialGrid)}}}, extended past a winning edge, chosen on the mean validation accuracy of seeds {string.Join(", ", protocol.GridSeeds)}; the test split is read once. " +
            $"Seeds {string.Join(", ", protocol.Seeds)} at the chosen rate. Intervals: 95 %, over seeds × test images; differences paired by seed and image; gates first (a cell trains its other methods only when its probe and full fine-tuning pass the margin gates); gates and findings per cell (gates pooled over cells until this run's first report: a failed gate on one task blocked the other's verdicts), Holm over each cell's directional findings; TOST (±{EquivalenceMargin * 100:0} point) for \"close to\".");
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
            var floorRows = gc.SelectMany(c => results[c.Key].Select(r => (c, r))).ToList();
            var atFloor = floorRows.Where(x => x.r.Estimate is not { } e || FloorCheck.AtFloor(e, Math.Max(floors[x.c.Key] ?? 1, 1.0 / x.c.Classes), true)).ToList();
            var gates = new List<Gate>(evidence.MarginGates(cell))
            {
                new("every method beats every floor (chance, majority class) beyond its interval", atFloor.Count == 0,
                    atFloor.Count == 0 ? $"all {floorRows.Count} above" : $"at a floor: {string.Join(", ", atFloor.Take(6).Select(x => $"{x.c.Key}/{x.r.Label} {x.r.Estimate?.Value:0.000}"))}"),
                SeedResults.SeedsDifferGate(floorRows.Select(x => ($"{x.c.Key}/{x.r.Label}", x.r.Seeds)).ToList()),
            };
            var claims = new List<Claim>();
            foreach (var c in gc)
            {
                var methods = protocol.Methods(c).Select(m => m.Name).ToHashSet();
                Config? lp = Find(c, Methods.LinearProbe), af = Find(c, Methods.AdaptFormer);
                string share = af is null ? "a few" : af.Percent.ToString("0.##", CultureInfo.InvariantCulture);
                if (methods.Contains(Methods.VptDeep))
                {
                    claims.Add(Better($"{c.Key}: VPT-deep beats the linear probe", Find(c, Methods.VptDeep), lp));
                    claims.Add(Better($"{c.Key}: AdaptFormer beats VPT-deep", af, Find(c, Methods.VptDeep)));
                }
                claims.Add(Better($"{c.Key}: AdaptFormer beats the linear probe", af, lp));
                if (methods.Contains(Methods.FullFinetune))
                    claims.Add(Equivalent($"{c.Key}: AdaptFormer close to full fine-tuning (±{EquivalenceMargin * 100:0} point) at {share} % of the backbone's parameters", af, Find(c, Methods.FullFinetune)));
            }
            if (gc.Contains(sweepCell))
            {
                string k = sweepCell.Key;
                var sweep = swept ? Sweep(sweepCell) : null;
                var byD = sweep?.Bottleneck;
                int dLow = protocol.Bottlenecks[0], dHigh = protocol.Bottlenecks[^1];
                claims.Add(Better($"{k}: accuracy rises with d̂ (d̂ = {dHigh} beats d̂ = {dLow})", byD?[^1].Config, byD?[0].Config));
                if (protocol.Bottlenecks.Contains(16) && dHigh > 16)
                    claims.Add(Equivalent($"{k}: accuracy saturates (d̂ = {dHigh} close to d̂ = 16, ±{EquivalenceMargin * 100:0} point)", byD?[^1].Config, byD?.Single(x => x.D == 16).Config));
                claims.Add(Better($"{k}: parallel beats sequential (d̂ = {AdaptersProtocol.MainBottleneck})", Find(sweepCell, Methods.AdaptFormer), sweep?.Sequential));
                // VPT's scaling, in the direction the AdaptFormer paper reports (its comparison of trainable-parameter
                // budgets: VPT's accuracy falls as prompt tokens grow, where AdaptFormer's rises with d̂): the method's
                // default against the largest count. Added with the tokens table's verdict after the token runs were in
                // (the issue named the sweep among the findings; the report had only printed its table).
                int tMain = AdaptersProtocol.MainPromptTokens, tHigh = protocol.PromptTokens[^1];
                if (tHigh > tMain)
                    claims.Add(Better($"{k}: more prompt tokens lower VPT-deep's accuracy ({tMain} tokens, the default, beat {tHigh})",
                        sweep?.Tokens.Single(x => x.T == tMain).Config, sweep?.Tokens.Single(x => x.T == tHigh).Config));
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

        // The sweeps (on the cell the protocol names, when its gates let it train them).
        var a = sweepCell;
        SweepResults? s = swept ? Sweep(a) : null;
        SaturatingFit? fit = null;
        if (s is null)
        {
            md.AppendLine($"## {a.Key}: AdaptFormer's bottleneck d̂, placement and VPT's prompt tokens");
            md.AppendLine();
            md.AppendLine($"Not trained: {a.Key}'s gates failed on its gate runs (see its verdict above).");
            md.AppendLine();
        }
        else
        {
            md.AppendLine($"## {a.Key}: AdaptFormer's bottleneck d̂, placement and VPT's prompt tokens");
            md.AppendLine();
            md.AppendLine("| d̂ | test accuracy [95 % CI] | trainable | % of backbone | branch ratio (end) |");
            md.AppendLine("|---|---|---|---|---|");
            foreach (var (d, cfg) in s.Bottleneck) md.AppendLine($"| {d} | {Ci(cfg.Estimate)} | {cfg.Trainable:N0} | {cfg.Percent:0.###} | {(cfg.BranchRatio is { } b ? b.ToString("0.000", CultureInfo.InvariantCulture) : "—")} |");
            md.AppendLine();
            fit = s.Bottleneck.Count >= 3 ? SaturatingFit.Fit(s.Bottleneck.Select(x => (double)x.D).ToList(), s.Bottleneck.Select(x => x.Config.Estimate?.Value ?? double.NaN).ToList()) : null;
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
            ReportCharts.Write(Path.Combine(figures, dChart), $"{a.Key}: AdaptFormer test accuracy against the bottleneck d̂", "bottleneck d̂", "test accuracy",
                [new ReportCharts.Series("measured (95 % CI)", s.Bottleneck.Select(x => (double)x.D).ToList(), s.Bottleneck.Select(x => x.Config.Estimate?.Value ?? double.NaN).ToList(),
                    s.Bottleneck.Select(x => x.Config.Estimate?.Lower ?? double.NaN).ToList(), s.Bottleneck.Select(x => x.Config.Estimate?.Upper ?? double.NaN).ToList(), Line: false), .. fitSeries],
                logX: true, [new("linear probe", Of(a, Methods.LinearProbe).Estimate?.Value ?? double.NaN)]);
            md.AppendLine();
            md.AppendLine($"![{a.Key}: accuracy against d̂]({name}/{dChart})");
            md.AppendLine();
            var par = Of(a, Methods.AdaptFormer);
            var placement = Paired(par, s.Sequential);
            var perSeed = par.Seeds.Values.Zip(s.Sequential.Seeds.Values).Select(p => p.First - p.Second).ToList();
            double sd = perSeed.Count > 1 ? Math.Sqrt(perSeed.Sum(v => Math.Pow(v - perSeed.Average(), 2)) / (perSeed.Count - 1)) : double.NaN;
            md.AppendLine($"**Parallel vs sequential** (d̂ = {AdaptersProtocol.MainBottleneck}): parallel {Ci(par.Estimate)}, sequential {Ci(s.Sequential.Estimate)}; difference {(placement is null ? "n/a" : DiffCi(placement))}. " +
                (double.IsFinite(sd) && sd > 0
                    ? $"The per-seed paired differences spread by σ = {sd:0.0000}; detecting a {PlacementDifference * 100:0.##}-point difference (the paper's parallel − sequential) at 80 % power and α = 0.05 would take about **{SeedPower.SeedsToDetect(PlacementDifference, sd)} seeds** (normal approximation, seed spread only; the shared test images add no variance to a paired difference but bound what it can resolve)."
                    : "The seed spread of the paired differences is not estimable here."));
            md.AppendLine();
            md.AppendLine("| VPT-deep prompt tokens | test accuracy [95 % CI] | trainable | % of backbone |");
            md.AppendLine("|---|---|---|---|");
            foreach (var (t, cfg) in s.Tokens) md.AppendLine($"| {t} | {Ci(cfg.Estimate)} | {cfg.Trainable:N0} | {cfg.Percent:0.###} |");
            md.AppendLine();
        }

        // Learning-rate grids.
        md.AppendLine("## Learning-rate grids (mean validation accuracy over the grid's seeds)");
        md.AppendLine();
        foreach (var gridCell in cells.Where(c => c.GridFrom is null))
        {
            var methods = protocol.Methods(gridCell).Where(m => grids.ContainsKey((gridCell.Key, m.Name))).ToList();
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
            scenario = "adapters", quick = protocol.Quick, machine = Machine.Describe(), runs = runs.Count, busyHours, trainingHours = runHours, wallHours = hours, gatedOut = gatedOut.Order().ToList(),
            protocol = new { protocol.Steps, protocol.BatchSize, protocol.TrainSize, protocol.ValidationSize, protocol.TestSize, protocol.Seeds, protocol.GridSeeds, protocol.InitialGrid },
            cells = cells.Select(c => new
            {
                c.Key, c.Title, backbone = c.Backbone, floor = floors[c.Key], chance = 1.0 / c.Classes,
                methods = results[c.Key].Append(randomProbe[c.Key]).Select(r => new { r.Label, r.Multiplier, mean = r.Estimate?.Value, lower = r.Estimate?.Lower, upper = r.Estimate?.Upper, perSeed = r.Seeds.Values, r.Trainable, r.Percent, r.BranchRatio, r.Collapsed, experiments = r.Ids }),
            }),
            sweep = s is null ? null : new { cell = a.Key, bottleneck = s.Bottleneck.Select(x => new { d = x.D, mean = x.Config.Estimate?.Value, lower = x.Config.Estimate?.Lower, upper = x.Config.Estimate?.Upper }), fit, tokens = s.Tokens.Select(x => new { tokens = x.T, mean = x.Config.Estimate?.Value }) },
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
            protocol.Bottlenecks.Select(d => (d, evidence.Result(a, a.Backbone, af with { Bottleneck = d }))).ToList(),
            evidence.Result(a, a.Backbone, af with { Placement = "sequential" }),
            protocol.PromptTokens.Select(t => (t, evidence.Result(a, a.Backbone, vpt with { PromptTokens = t }))).ToList());
    }
}
