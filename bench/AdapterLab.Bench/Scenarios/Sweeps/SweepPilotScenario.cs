using System.Globalization;
using System.Text;
using System.Text.Json;
using AdapterLab.Bench.Runner;

namespace AdapterLab.Bench.Scenarios.Sweeps;

/// <summary>
/// <c>./platform bench sweeps-pilot</c>: the pilot of <see cref="SweepPilot"/> — three searches with a first rung at half
/// the budget, through the platform's sweeps like the bench's repetitions (resumed by name, archived), without
/// confirmations. Writes <c>bench/results/sweeps-pilot.md</c> and <c>.json</c>: every configuration's value at each rung
/// beside the grid's, where the grid's winner went, and the decision rule's outcome.
/// </summary>
public sealed class SweepPilotScenario(PlatformClient client, string resultsDir) : IScenario
{
    public string Name => "sweeps-pilot";

    private sealed record Trial(double X, int D, string Status, IReadOnlyDictionary<int, double> Rungs);

    private sealed record Search(int Pilot, Guid Id, long Steps, IReadOnlyList<Trial> Trials);

    public async Task RunAsync(CancellationToken ct)
    {
        var p = new SweepBenchProtocol(quick: false);
        var wanted = ReportBackbones.All(false).Single(b => b.Key == p.Cell.Backbone);
        var root = RunArchive.Root(resultsDir, false);
        var runArchive = new RunArchive(root, "adapters");
        var archive = new RunArchive(root, "sweeps-pilot");
        var (_, blobs) = await ReportBackbones.EnsureAsync(client, [wanted], runArchive, ct);
        var batch = new ExperimentBatch(client, new RunLedger(Path.Combine(resultsDir, ".ledger", "sweeps.json")), runArchive, blobs);

        // The grid (the bench's own runs, from the archive), to name its winner and rank the configurations at 400 steps.
        var (_, grid, gridWinner) = await SweepGrid.RunAsync(p, wanted, batch, ct);

        var searches = new List<Search>();
        foreach (int n in SweepPilot.Pilots)
        {
            var definition = p.Search(wanted.Named, wanted.Label, SweepPilot.Seed(n), SweepPilot.Seed(n), SweepPilot.FirstRung(p), 0, SweepPilot.Name(n), $"pilot {n}",
                SweepPilot.Eta, SweepPilot.PromotionTolerance, SweepPilot.FinalRungSeeds).ToJsonString();
            JsonElement sweep;
            if (archive.Find($"pilot-{n}") is { } saved && saved.Spec == definition)
            {
                Console.WriteLine($"[{Name}] pilot {n}: read from the archive");
                sweep = saved.Experiment;
            }
            else
            {
                sweep = await SweepRunner.RunAsync(client, definition, SweepPilot.Name(n), ct);
                archive.Save($"pilot-{n}", definition, sweep, null, null);
            }
            searches.Add(Read(p, n, sweep));
        }
        await WriteAsync(p, grid, gridWinner, searches, ct);
    }

    private static Search Read(SweepBenchProtocol p, int n, JsonElement sweep)
    {
        var trials = sweep.GetProperty("trials").EnumerateArray().Select(t =>
        {
            var (multiplier, d) = p.Configuration(t.GetProperty("values"));
            var rungs = t.GetProperty("rungs").EnumerateObject().ToDictionary(r => int.Parse(r.Name, CultureInfo.InvariantCulture), r => r.Value.GetDouble());
            return new Trial(multiplier, d, t.GetProperty("status").GetString()!, rungs);
        }).ToList();
        var summary = sweep.GetProperty("summary");
        return new Search(n, summary.GetProperty("id").GetGuid(), summary.GetProperty("stepsTrained").GetInt64(), trials);
    }

    /// <summary>1-based rank of <paramref name="value"/> among <paramref name="all"/> (higher is better), with its ties.</summary>
    private static string Rank(double value, IReadOnlyCollection<double> all)
    {
        int above = all.Count(v => v > value), tied = all.Count(v => v == value) - 1;
        return tied > 0 ? $"{above + 1}–{above + 1 + tied}" : $"{above + 1}";
    }

    private async Task WriteAsync(SweepBenchProtocol p, Dictionary<(double X, int D), double> grid, (double X, int D) gridWinner, List<Search> searches, CancellationToken ct)
    {
        int first = SweepPilot.FirstRung(p);
        var md = new StringBuilder();
        md.AppendLine($"# Sweeps pilot: a first rung at half the budget ({ReportBackbones.Preset}) — a pilot, not a registration");
        md.AppendLine();
        md.AppendLine($"`./platform bench sweeps-pilot` through the platform on {Machine.Describe()}. The sweep bench's search (AdaptFormer on {p.Cell.Title}; the grid's {p.Grid.Count} configurations, each once; η = {SweepPilot.Eta}; " +
            $"promotion tolerance {SweepPilot.PromotionTolerance}; at most {p.StepBudget:N0} steps = {SweepBenchProtocol.StepShare:P0} of the grid's) with its first rung at **{first}** of {p.Report.Steps} steps instead of {(int)Math.Ceiling((double)p.Report.Steps / SweepPilot.Eta)} (registrations 3 and 4's), " +
            $"on pilot seeds {string.Join(", ", SweepPilot.Pilots.Select(SweepPilot.Seed))} (trials and order), without confirmations. Why, and the decision rule fixed before the runs: `bench/AdapterLab.Bench/Scenarios/Sweeps/SweepPilot.cs`.");
        md.AppendLine();
        md.AppendLine($"Each configuration's validation accuracy at {first} steps and, where promoted, at {p.Report.Steps} steps (rank among the trials at that rung in parentheses); the grid's column is its mean over seeds {{{string.Join(", ", p.Report.GridSeeds)}}} at {p.Report.Steps} steps.");
        md.AppendLine();
        md.AppendLine("| configuration | grid (rank) | " + string.Join(" | ", searches.Select(s => $"pilot {s.Pilot}: {first} → {p.Report.Steps} steps")) + " |");
        md.AppendLine("|---|---|" + string.Concat(searches.Select(_ => "---|")));
        foreach (var c in p.Grid.OrderByDescending(c => grid[c]))
        {
            string label = SweepBenchProtocol.Describe(c.X, c.D);
            if (c == gridWinner) label = $"**{label}**";
            var cells = searches.Select(s =>
            {
                var t = s.Trials.FirstOrDefault(t => t.X == c.X && t.D == c.D);
                if (t is null) return "not tried";
                return string.Join(" → ", t.Rungs.OrderBy(r => r.Key).Select(r =>
                    $"{r.Value:0.000} ({Rank(r.Value, s.Trials.Where(o => o.Rungs.ContainsKey(r.Key)).Select(o => o.Rungs[r.Key]).ToList())})"));
            });
            md.AppendLine($"| {label} | {grid[c]:0.000} ({Rank(grid[c], grid.Values)}) | {string.Join(" | ", cells)} |");
        }
        md.AppendLine();
        var rows = new List<object>();
        int kept = 0;
        foreach (var s in searches)
        {
            var top = s.Trials.Where(t => t.Rungs.ContainsKey(1)).ToList();
            double best = top.Count == 0 ? double.NaN : top.Max(t => t.Rungs[1]);
            var leaders = top.Where(t => t.Rungs[1] == best).ToList();
            var w = s.Trials.FirstOrDefault(t => (t.X, t.D) == gridWinner);
            bool promoted = w is not null && w.Rungs.ContainsKey(1);
            bool leads = promoted && leaders.Count == 1 && leaders[0] == w;
            if (leads) kept++;
            string fate = w is null ? "not tried" : !promoted ? $"**cut at the first rung** ({w.Rungs[0]:0.000}, rank {Rank(w.Rungs[0], s.Trials.Where(t => t.Rungs.ContainsKey(0)).Select(t => t.Rungs[0]).ToList())} of {s.Trials.Count(t => t.Rungs.ContainsKey(0))})"
                : leads ? $"promoted ({w.Rungs[0]:0.000}) and **leads at {p.Report.Steps} steps** ({w.Rungs[1]:0.000})"
                : $"promoted ({w.Rungs[0]:0.000}) but **does not lead at {p.Report.Steps} steps** ({w.Rungs[1]:0.000} against {best:0.000}, {string.Join(", ", leaders.Select(l => SweepBenchProtocol.Describe(l.X, l.D)))})";
            md.AppendLine($"- pilot {s.Pilot} (sweep {s.Id}): {s.Steps:N0} steps ({s.Steps / (double)p.GridSteps:P1} of the grid's), {top.Count} promoted; the grid's winner: {fate}.");
            rows.Add(new { pilot = s.Pilot, seed = SweepPilot.Seed(s.Pilot), sweep = s.Id, steps = s.Steps, share = s.Steps / (double)p.GridSteps, promoted = top.Count, gridWinnerFirstRung = w?.Rungs.GetValueOrDefault(0), gridWinnerPromoted = promoted, gridWinnerLeads = leads,
                trials = s.Trials.Select(t => new { multiplier = t.X, bottleneck = t.D, status = t.Status, rungs = t.Rungs.OrderBy(r => r.Key).Select(r => r.Value) }) });
        }
        md.AppendLine();
        bool pass = kept == searches.Count;
        md.AppendLine(pass
            ? $"**Decision rule: met** ({kept} of {searches.Count}) — the grid's winner was promoted from the {first}-step rung and led at {p.Report.Steps} steps in every pilot search, so a registration of rungs {first} / {p.Report.Steps} on fresh repetitions follows. (Three of three shows the design is not already seen to fail; it does not show the target will be met.)"
            : $"**Decision rule: not met** ({kept} of {searches.Count}) — no registration of rungs {first} / {p.Report.Steps} follows.");
        md.AppendLine();
        var json = JsonSerializer.Serialize(new
        {
            scenario = Name, machine = Machine.Describe(), firstRung = first, gridSteps = p.GridSteps, stepBudget = p.StepBudget,
            grid = grid.Select(v => new { multiplier = v.Key.X, bottleneck = v.Key.D, validation = v.Value }),
            gridWinner = new { multiplier = gridWinner.X, bottleneck = gridWinner.D }, pilots = rows, decisionRuleMet = pass,
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true });
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{Name}.json"), json, ct);
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{Name}.md"), md.ToString(), ct);
        Console.WriteLine(md.ToString());
    }
}
