using System.Collections.Concurrent;
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
/// Resumable: every run is keyed in the ledger (<c>bench/results/.ledger/adapters*.json</c>, this platform's ids) and every
/// finished run archived (<c>bench/results/archive/adapters/</c>, committed), so a report may span sittings and checkouts.
/// </summary>
public sealed class AdaptersScenario(PlatformClient client, string resultsDir, bool quick) : IScenario
{
    public string Name => "adapters";

    public async Task RunAsync(CancellationToken ct)
    {
        var protocol = new AdaptersProtocol(quick);
        await ReportBackbones.RequireDigitsAsync(client, ct);
        var wanted = ReportBackbones.All(quick).Where(b => b.Key is AdaptersProtocol.ShapesBackbone or AdaptersProtocol.DigitsBackbone).ToList();
        var archive = new RunArchive(RunArchive.Root(resultsDir, quick), quick ? "adapters-quick" : "adapters");
        var ledger = new RunLedger(Path.Combine(resultsDir, ".ledger", quick ? "adapters-quick.json" : "adapters.json"));
        // Each cell starts as soon as its own backbone is ready (the digits' MAE pretrains in a fraction of the stream
        // backbone's time): the cells run side by side and keep every agent busy.
        var blobs = new ConcurrentDictionary<string, string>();
        var backbones = wanted.ToDictionary(b => b.Key, b => EnsureOneAsync(b));
        async Task<JsonElement> EnsureOneAsync(ReportBackbones.Backbone b)
        {
            var (docs, hashes) = await ReportBackbones.EnsureAsync(client, [b], archive, ct);
            foreach (var (name, hash) in hashes) blobs[name] = hash;
            return docs[b.Key];
        }
        Task BackboneReady(string key) => key == "random" ? Task.CompletedTask : backbones[key];
        var batch = new ExperimentBatch(client, ledger, archive, blobs);
        var runs = new ConcurrentDictionary<string, JsonElement>();
        BackboneSpec BackboneOf(string key) => key == "random" ? ReportBackbones.Random : wanted.Single(b => b.Key == key).Named;
        string LabelOf(string key) => key == "random" ? "a random backbone" : wanted.Single(b => b.Key == key).Label;

        async Task RunAllAsync(IEnumerable<(AdaptersProtocol.Cell Cell, string Backbone, MethodSpec Method, double Multiplier, int Seed)> wantedRuns, string what)
        {
            var wantedList = wantedRuns.ToList();
            foreach (var b in wantedList.Select(r => r.Backbone).Distinct()) await BackboneReady(b);
            var list = wantedList.Select(r => (AdaptersProtocol.Key(r.Cell, r.Backbone, r.Method, r.Multiplier, r.Seed),
                    protocol.Spec(r.Cell, BackboneOf(r.Backbone), LabelOf(r.Backbone), r.Method, r.Multiplier, r.Seed)))
                .Where(r => !runs.ContainsKey(r.Item1)).DistinctBy(r => r.Item1).ToList();
            if (list.Count == 0) return;
            Console.WriteLine($"[{Name}] {what}: {list.Count} runs");
            foreach (var (k, v) in ExperimentBatch.RequireSucceeded(await batch.RunAsync(list, ct))) runs[k] = v;
        }

        // 1. Learning rates: per grid cell and method, the grid over the method's default, extended past an edge winner.
        //    The gate methods' grid (probe, full fine-tuning) runs first; the other methods' grid only once a cell that
        //    reads this grid has passed its gates.
        var grids = new ConcurrentDictionary<(string Cell, string Method), Dictionary<double, double>>();
        async Task GridAsync(AdaptersProtocol.Cell cell, IReadOnlyList<MethodSpec> methods, string what)
        {
            foreach (var m in methods) grids[(cell.Key, m.Name)] = [];
            var pending = methods.ToDictionary(m => m.Name, _ => protocol.InitialGrid.ToList());
            while (pending.Values.Any(p => p.Count > 0))
            {
                await RunAllAsync(methods.SelectMany(m => pending[m.Name].SelectMany(x => protocol.GridSeeds.Select(s => (cell, cell.Backbone, m, x, s)))),
                    $"learning-rate grid, {what}, {cell.Key}");
                foreach (var m in methods)
                {
                    var scores = grids[(cell.Key, m.Name)];
                    foreach (var x in pending[m.Name])
                        scores[x] = protocol.GridSeeds.Average(s => ExperimentBatch.Result(runs[AdaptersProtocol.Key(cell, cell.Backbone, m, x, s)], "validation", cell.Domain, "accuracy") ?? double.NaN);
                    pending[m.Name] = !quick && LearningRateGrid.Extension(scores) is { } next ? [next] : [];
                }
            }
        }
        var cells = protocol.Cells;
        var gridCells = cells.Where(c => c.GridFrom is null).ToDictionary(c => c.Key);
        var gateGrids = gridCells.ToDictionary(c => c.Key, c => new Lazy<Task>(() => GridAsync(c.Value, protocol.GateMethods(c.Value), "gate methods")));
        var restGrids = gridCells.ToDictionary(c => c.Key, c => new Lazy<Task>(() =>
            GridAsync(c.Value, protocol.OtherMethods(c.Value), "other methods")));
        Task GridOf(AdaptersProtocol.Cell cell, Dictionary<string, Lazy<Task>> part) => cell.GridFrom switch
        {
            null => part[cell.Key].Value,
            "defaults" => Task.CompletedTask,
            var from => part[from].Value,
        };
        double Chosen(AdaptersProtocol.Cell cell, string method) => cell.GridFrom switch
        {
            null => LearningRateGrid.Best(grids[(cell.Key, method)]),
            "defaults" => 1,
            var from => LearningRateGrid.Best(grids[(from, method)]),
        };

        // 2. Per cell, gates first: five seeds of the probe, of full fine-tuning and of the random-backbone probe (the
        //    gates' control) at their chosen rates; when the margin gates pass (a smoke run never stops here), five seeds
        //    of every other configuration, and on the sweep cell its sweeps at the rates AdaptFormer and VPT-deep chose.
        var evidence = new AdaptersEvidence(protocol, runs, batch.Predictions, batch.BranchRatio, Chosen);
        var gatedOut = new ConcurrentDictionary<string, bool>();
        var probe = AdaptersProtocol.MainVariant(Methods.LinearProbe);
        IEnumerable<(AdaptersProtocol.Cell, string, MethodSpec, double, int)> Seeded(AdaptersProtocol.Cell c, IEnumerable<MethodSpec> methods, string? backbone = null) =>
            methods.SelectMany(m => protocol.Seeds.Select(s => (c, backbone ?? c.Backbone, m, Chosen(c, m.Name), s)));
        async Task CellAsync(AdaptersProtocol.Cell c)
        {
            await GridOf(c, gateGrids);
            await RunAllAsync(Seeded(c, protocol.GateMethods(c)).Concat(Seeded(c, [probe], "random")), $"gate runs, {c.Key}");
            var failed = evidence.MarginGates(c).Where(g => !g.Passed).ToList();
            if (failed.Count > 0 && !quick)
            {
                gatedOut[c.Key] = true;
                Console.WriteLine($"[{Name}] {c.Key}: gates failed ({string.Join("; ", failed.Select(g => $"{g.Name}: {g.Evidence}"))}) — nothing else is trained for it");
                return;
            }
            await GridOf(c, restGrids);
            await RunAllAsync(Seeded(c, protocol.OtherMethods(c)), $"five seeds per configuration, {c.Key}");
            if (c.Key == protocol.SweepCell)
                await RunAllAsync(Seeded(c, protocol.SweepVariants()), $"{c.Key} sweeps (d̂, placement, prompt tokens)");
        }
        await Task.WhenAll(cells.Select(CellAsync));
        var pretrained = new Dictionary<string, JsonElement>();
        foreach (var (key, task) in backbones) pretrained[key] = await task;

        // 3. The report (runs in key order: the cells finished in any order).
        var finished = runs.OrderBy(r => r.Key, StringComparer.Ordinal).ToDictionary(r => r.Key, r => r.Value);
        var floors = cells.ToDictionary(c => c.Key, c => PredictionTables.Floor(
            batch.Predictions(runs.Keys.First(k => k.StartsWith(c.Key + "|", StringComparison.Ordinal))), "test", Tasks.Classification, c.Domain, "accuracy")?.Value);
        var report = new AdaptersReport(protocol, evidence, finished, floors, gatedOut.Keys.ToHashSet(), grids, pretrained, wanted, resultsDir);
        await report.WriteAsync(Name + (quick ? "-quick" : ""), ct);
    }
}
