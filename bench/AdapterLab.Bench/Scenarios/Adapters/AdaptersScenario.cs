using System.Text.Json;
using AdapterLab.Bench.Runner;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Contracts.Specs;
using AdapterLab.Statistics;

namespace AdapterLab.Bench.Scenarios.Adapters;

/// <summary>
/// The classification report (<c>./platform bench adapters</c>): the adaptation methods through the platform under
/// <see cref="AdaptersProtocol"/> — learning rates chosen on validation from bracketed grids, five seeds, 4,000 test images,
/// held-out label families in the held-out domain on the gated stream backbone, and real digits on an MAE backbone — judged
/// by the statistics library (<see cref="AdaptersReport"/>: gates first, then the papers' findings with a verdict each).
/// Resumable: every run is keyed in the ledger (<c>bench/results/.ledger/adapters*.json</c>), so a report may span sittings.
/// </summary>
public sealed class AdaptersScenario(PlatformClient client, string resultsDir, bool quick) : IScenario
{
    public string Name => "adapters";

    public async Task RunAsync(CancellationToken ct)
    {
        var protocol = new AdaptersProtocol(quick);
        await ReportBackbones.RequireDigitsAsync(client, ct);
        var wanted = ReportBackbones.All(quick).Where(b => b.Key is AdaptersProtocol.ShapesBackbone or AdaptersProtocol.DigitsBackbone).ToList();
        var pretrained = await ReportBackbones.EnsureAsync(client, wanted, ct);
        var ledger = new RunLedger(Path.Combine(resultsDir, ".ledger", quick ? "adapters-quick.json" : "adapters.json"));
        var batch = new ExperimentBatch(client, ledger);
        var runs = new Dictionary<string, JsonElement>();
        BackboneSpec BackboneOf(string key) => key == "random" ? ReportBackbones.Random : wanted.Single(b => b.Key == key).Named;
        string LabelOf(string key) => key == "random" ? "a random backbone" : wanted.Single(b => b.Key == key).Label;

        async Task RunAllAsync(IEnumerable<(AdaptersProtocol.Cell Cell, string Backbone, MethodSpec Method, double Multiplier, int Seed)> wantedRuns, string what)
        {
            var list = wantedRuns.Select(r => (AdaptersProtocol.Key(r.Cell, r.Backbone, r.Method, r.Multiplier, r.Seed),
                    protocol.Spec(r.Cell, BackboneOf(r.Backbone), LabelOf(r.Backbone), r.Method, r.Multiplier, r.Seed)))
                .Where(r => !runs.ContainsKey(r.Item1)).DistinctBy(r => r.Item1).ToList();
            if (list.Count == 0) return;
            Console.WriteLine($"[{Name}] {what}: {list.Count} runs");
            foreach (var (k, v) in await batch.RunAsync(list, ct))
            {
                if (v.GetProperty("status").GetString() != "Succeeded")
                    throw new BenchException($"run {k} ended {v.GetProperty("status").GetString()}: {(v.TryGetProperty("failureReason", out var r) ? r.GetString() : "")}");
                runs[k] = v;
            }
        }

        // 1. Learning rates: per grid cell and method, the grid over the method's default, extended past an edge winner.
        var grids = new Dictionary<(string Cell, string Method), Dictionary<double, double>>();
        foreach (var cell in protocol.Cells.Where(c => c.GridFrom is null))
        {
            var methods = protocol.Methods(cell);
            foreach (var m in methods) grids[(cell.Key, m.Name)] = [];
            var pending = methods.ToDictionary(m => m.Name, _ => protocol.InitialGrid.ToList());
            while (pending.Values.Any(p => p.Count > 0))
            {
                await RunAllAsync(methods.SelectMany(m => pending[m.Name].SelectMany(x => protocol.GridSeeds.Select(s => (cell, cell.Backbone, m, x, s)))),
                    $"learning-rate grid, {cell.Key}");
                foreach (var m in methods)
                {
                    var scores = grids[(cell.Key, m.Name)];
                    foreach (var x in pending[m.Name])
                        scores[x] = protocol.GridSeeds.Average(s => ExperimentBatch.Result(runs[AdaptersProtocol.Key(cell, cell.Backbone, m, x, s)], "validation", cell.Domain, "accuracy") ?? double.NaN);
                    pending[m.Name] = !quick && LearningRateGrid.Extension(scores) is { } next ? [next] : [];
                }
            }
        }
        double Chosen(AdaptersProtocol.Cell cell, string method) => cell.GridFrom switch
        {
            null => LearningRateGrid.Best(grids[(cell.Key, method)]),
            "defaults" => 1,
            var from => LearningRateGrid.Best(grids[(from, method)]),
        };

        // 2. Five seeds of every main configuration at its chosen rate, the random-backbone probe (the gates' control),
        //    and task A's sweeps at the rate AdaptFormer and VPT-deep chose there.
        var cells = protocol.Cells;
        var probe = AdaptersProtocol.MainVariant(Methods.LinearProbe);
        await RunAllAsync(cells.SelectMany(c => protocol.Methods(c).Select(m => (Cell: c, Backbone: c.Backbone, Method: m, X: Chosen(c, m.Name)))
                .Append((Cell: c, Backbone: "random", Method: probe, X: Chosen(c, Methods.LinearProbe)))
                .SelectMany(x => protocol.Seeds.Select(s => (x.Cell, x.Backbone, x.Method, x.X, s)))),
            "five seeds per configuration");
        var taskA = cells[0];
        await RunAllAsync(protocol.SweepVariants().SelectMany(v => protocol.Seeds.Select(s => (taskA, taskA.Backbone, v, Chosen(taskA, v.Name), s))),
            "task A sweeps (d̂, placement, prompt tokens)");

        // 3. The report.
        var predictions = new Dictionary<string, PredictionsFile?>();
        foreach (var (k, e) in runs) predictions[k] = await client.PredictionsAsync(e, ct);
        var branchRatios = new Dictionary<string, double?>();
        foreach (var (k, e) in runs.Where(r => r.Key.EndsWith("|s1", StringComparison.Ordinal)))
            branchRatios[k] = await FinalBranchRatioAsync(e, ct);
        var floors = new Dictionary<string, double?>();
        foreach (var c in cells)
        {
            var any = runs.First(r => r.Key.StartsWith(c.Key + "|", StringComparison.Ordinal)).Value;
            floors[c.Key] = await client.FloorAsync(any, "test", c.Domain, "accuracy", ct);
        }
        var report = new AdaptersReport(protocol, runs, predictions, branchRatios, floors, grids, Chosen, pretrained, wanted, resultsDir);
        await report.WriteAsync(Name + (quick ? "-quick" : ""), ct);
    }

    /// <summary>The mean of a run's branch ratios at its last measured step (null for methods without a branch).</summary>
    private async Task<double?> FinalBranchRatioAsync(JsonElement experiment, CancellationToken ct)
    {
        var points = await client.GetJsonAsync($"api/experiments/{experiment.GetProperty("id").GetString()}/metrics?split=validation&limit=50000", ct);
        var ratios = points.EnumerateArray().Where(p => p.GetProperty("name").GetString()!.StartsWith("branch-ratio:", StringComparison.Ordinal))
            .Select(p => (Step: p.GetProperty("step").GetInt64(), Value: p.GetProperty("value").GetDouble())).ToList();
        if (ratios.Count == 0) return null;
        long last = ratios.Max(r => r.Step);
        return ratios.Where(r => r.Step == last).Average(r => r.Value);
    }
}
