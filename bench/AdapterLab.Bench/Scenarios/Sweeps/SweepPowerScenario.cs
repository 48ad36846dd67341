using System.Globalization;
using System.Text;
using System.Text.Json;
using AdapterLab.Bench.Runner;
using AdapterLab.Contracts.Sweeps;

namespace AdapterLab.Bench.Scenarios.Sweeps;

/// <summary>
/// <c>./platform bench sweeps-power</c>: how often would a sweep design meet the sweep bench's target — from the runs
/// already made, without training anything? Six registrations each met it in 2 of 3 repetitions. This reads every run
/// of the bench's task in the committed archives (the grid's, the confirmations', the pilot's and registrations 5–6's
/// searches), fits <see cref="SweepPowerModel"/> to them, and runs each design many times through the platform's own
/// scheduler against simulated training (<see cref="SweepSimulation"/>): the share of searches that choose the grid's
/// winner is the design's chance of meeting one repetition (every other configuration is more than 2 points below it on
/// the grid, and the two chosen instead were confirmed not equivalent; choosing it gives the grid's own runs), and its
/// cube the chance of three in a row. Its interval is a bootstrap over the runs (the model
/// refitted to resampled runs), so it shows how little 9 first-rung values per configuration pin the answer down.
/// The model's own check: the registered designs' predicted rates against what they did.
/// Writes <c>bench/results/sweeps-power.md</c> and <c>.json</c>. In process: no platform, half a minute.
/// </summary>
public sealed class SweepPowerScenario(string resultsDir, bool quick) : IScenario
{
    public string Name => "sweeps-power";

    /// <summary>A design: its sweep definition, whether its promotions are the asynchronous ones the registrations ran with, and for a registered one how many repetitions met the target.</summary>
    public sealed record Design(string Label, SweepDefinition Definition, bool Asynchronous = false, (int Met, int Of)? Observed = null);

    /// <summary>A design's chance of meeting one repetition: the point estimate and the bootstrap's 95 % range.</summary>
    private sealed record Rate(double Point, double Low, double High);

    private sealed record Row(Design Design, Rate Pooled, Rate Own, long Steps, Dictionary<string, double> Choices);

    public async Task RunAsync(CancellationToken ct)
    {
        var p = new SweepBenchProtocol(quick: false);
        var root = RunArchive.Root(resultsDir, false);
        var adapters = new RunArchive(root, "adapters");
        var sweeps = new RunArchive(root, "sweeps");
        var (observations, sources) = Read(p, adapters, sweeps, new RunArchive(root, "sweeps-pilot"));
        var (gridMeans, winner) = GridWinner(p, adapters);
        var r5 = Registered(sweeps, 13);
        var r6 = Registered(sweeps, 16);
        long grid = p.GridSteps;
        SweepDefinition With(SweepDefinition d, int eta, int seeds, double share, string algorithm = SweepAlgorithms.Asha, double tolerance = 0) => d with
        {
            Eta = eta, FinalRungSeeds = seeds, PromotionTolerance = tolerance, Algorithm = algorithm,
            MinSteps = algorithm == SweepAlgorithms.Asha ? d.MinSteps : null,
            Budget = d.Budget with { TotalSteps = (long)Math.Round(share * grid) },
        };
        var designs = new List<Design>
        {
            new("Registration 5 as run: η 3, one seed per finalist, tolerance 0.02, 35 %, asynchronous promotions", r5, true, (2, 3)),
            new("Registration 6 as run: η 7, two seeds per finalist, 35 %, asynchronous promotions", r6, true, (2, 3)),
            new("Registration 5's design with certain promotions (today's scheduler)", r5),
            new("Registration 6's design with certain promotions (today's scheduler)", r6),
            new("η 3, one seed per finalist, no tolerance, 35 %", With(r6, 3, 1, 0.35)),
            new("η 5, two seeds per finalist, 40 %", With(r6, 5, 2, 0.40)),
            new("η 3, two seeds per finalist, 50 % (the note's option a)", With(r6, 3, 2, 0.50)),
            new("η 3, three seeds per finalist, 67 %", With(r6, 3, 3, 8_000.0 / grid)),
            new("grid, one seed, 50 %", With(r6, 3, 1, 0.50, SweepAlgorithms.Grid)),
            new("grid, two seeds — the grid itself on fresh seeds, 100 %", With(r6, 3, 2, 1.0, SweepAlgorithms.Grid)),
        };
        int refits = quick ? 20 : 100, perRefit = quick ? 20 : 100, point = quick ? 200 : 4_000;
        var models = new[] { false, true }.Select(own => SweepPowerModel.Fit(observations, own)).ToList();
        var rows = new List<Row>();
        foreach (var design in designs)
        {
            ct.ThrowIfCancellationRequested();
            var plan = SweepPlan.From(design.Definition);
            var variants = new List<Rate>();
            long steps = 0;
            Dictionary<string, double> choices = [];
            foreach (bool own in new[] { false, true })
            {
                var rng = new Random(20261207);
                var (rate, trained, chosen) = Estimate(plan, design.Asynchronous, models[own ? 1 : 0], point, rng);
                var rates = new List<double>();
                for (int b = 0; b < refits; b++) rates.Add(Estimate(plan, design.Asynchronous, SweepPowerModel.Fit(observations.Resample(rng), own), perRefit, rng).Rate);
                rates.Sort();
                variants.Add(new Rate(rate, Quantile(rates, 0.025), Quantile(rates, 0.975)));
                steps = Math.Max(steps, trained);
                if (!own) choices = chosen;
            }
            rows.Add(new Row(design, variants[0], variants[1], steps, choices));
            Console.WriteLine($"[{Name}] {design.Label}: {variants[0].Point:P1} [{variants[0].Low:P0}, {variants[0].High:P0}] pooled, {variants[1].Point:P1} [{variants[1].Low:P0}, {variants[1].High:P0}] own spread; {steps:N0} steps");
        }
        await WriteAsync(p, observations, sources, models[0], models[1], gridMeans, winner, rows, refits, perRefit, point, ct);

        (double Rate, long Steps, Dictionary<string, double> Choices) Estimate(SweepPlan plan, bool asynchronous, SweepPowerModel m, int searches, Random rng)
        {
            int hits = 0;
            long steps = 0;
            var chosen = new Dictionary<string, int>();
            for (int i = 0; i < searches; i++)
            {
                var order = p.Grid.OrderBy(_ => rng.Next()).ToList();
                var outcome = SweepSimulation.Run(plan, order, m, p.MinSteps, rng, certainPromotions: !asynchronous);
                if (outcome.Winner == winner) hits++;
                steps = Math.Max(steps, outcome.StepsTrained);
                string label = outcome.Winner is { } w ? SweepBenchProtocol.Describe(w.X, w.D) : "none";
                chosen[label] = chosen.GetValueOrDefault(label) + 1;
            }
            return (hits / (double)searches, steps, chosen.ToDictionary(kv => kv.Key, kv => kv.Value / (double)searches));
        }
    }

    /// <summary>The registered definition of repetition <paramref name="repetition"/>'s search, as the platform stored it.</summary>
    private static SweepDefinition Registered(RunArchive sweeps, int repetition) =>
        SweepDefinition.Parse((sweeps.Find($"asha-r{repetition}") ?? throw new BenchException($"the archive has no search of repetition {repetition}"))
            .Experiment.GetProperty("definition").GetRawText());

    /// <summary>The grid's choice (<see cref="SweepGrid.Choose"/>) from the archive; every grid run must be there.</summary>
    public static (Dictionary<(double X, int D), double> Means, (double X, int D) Winner) GridWinner(SweepBenchProtocol p, RunArchive adapters)
    {
        var (means, winner) = SweepGrid.Choose(p, key => adapters.Find(key)?.Experiment);
        if (means.FirstOrDefault(m => double.IsNaN(m.Value)) is { Value: double.NaN } missing)
            throw new BenchException($"the archive lacks a grid run of {SweepBenchProtocol.Describe(missing.Key.X, missing.Key.D)}: run ./platform bench sweeps first");
        return (means, winner);
    }

    /// <summary>Every run of the bench's grid configurations in the archives, sorted into <see cref="SweepObservations"/>.</summary>
    public static (SweepObservations Observations, Dictionary<string, int> Sources) Read(SweepBenchProtocol p, RunArchive adapters, RunArchive sweeps, RunArchive pilots)
    {
        var full = new Dictionary<((double X, int D) C, int Seed), double>();
        var sources = new Dictionary<string, int>();
        void Full((double X, int D) c, int seed, double value, string source)
        {
            if (full.TryAdd((c, seed), value)) sources[source] = sources.GetValueOrDefault(source) + 1;
        }
        foreach (var c in p.Grid)
            foreach (int seed in p.Report.Seeds)
                if (adapters.Find(SweepGrid.Key(p, c, seed)) is { } run && ExperimentBatch.Result(run.Experiment, "validation", p.Cell.Domain, "accuracy") is { } v)
                    Full(c, seed, v, "grid and report runs (seeds 1–5)");

        var first = p.Grid.ToDictionary(c => c, _ => new List<double>());
        var pairs = new List<((double X, int D), double, double)>();
        var searches = Enumerable.Range(1, 30).Select(r => sweeps.Find($"asha-r{r}")).Concat(SweepPilot.Pilots.Select(n => pilots.Find($"pilot-{n}")))
            .Where(s => s is not null).Select(s => s!.Experiment).ToList();
        foreach (var sweep in searches)
        {
            var definition = sweep.GetProperty("definition");
            // Only searches over the grid's own configurations (registrations 3 on), and only those whose first rung is the model's.
            if (definition.GetProperty("space").GetProperty("training.learningRate").GetProperty("type").GetString() != SearchTypes.Choice) continue;
            bool modelRung = definition.TryGetProperty("minSteps", out var min) && min.ValueKind == JsonValueKind.Number && min.GetInt32() == p.MinSteps;
            foreach (var t in sweep.GetProperty("trials").EnumerateArray())
            {
                var c = p.Configuration(t.GetProperty("values"));
                var rungs = t.GetProperty("rungs").EnumerateObject().ToDictionary(r => int.Parse(r.Name, CultureInfo.InvariantCulture), r => r.Value.GetDouble());
                var seeds = t.TryGetProperty("finalSeeds", out var fs) && fs.ValueKind == JsonValueKind.Array ? fs.EnumerateArray().ToList() : [];
                // A finalist's replicates: fresh seeds, chosen for nothing.
                foreach (var s in seeds.Where(s => s.GetProperty("replicate").GetInt32() > 0 && s.GetProperty("value").ValueKind == JsonValueKind.Number))
                    Full(c, s.GetProperty("seed").GetInt32(), s.GetProperty("value").GetDouble(), "finalists' replicates");
                if (!modelRung || !rungs.TryGetValue(0, out var atFirst)) continue;
                first[c].Add(atFirst);
                if (rungs.ContainsKey(1))
                    pairs.Add((c, atFirst, seeds.Count > 0 ? seeds[0].GetProperty("value").GetDouble() : rungs[1]));
            }
            // The winner's confirmations: seeds 1–5 of the chosen configuration (the grid's own runs where it is the grid's).
            if (sweep.TryGetProperty("confirmation", out var confirmation) && confirmation.ValueKind == JsonValueKind.Object)
            {
                int index = confirmation.GetProperty("winnerIndex").GetInt32();
                var c = p.Configuration(sweep.GetProperty("trials").EnumerateArray().Single(t => t.GetProperty("index").GetInt32() == index).GetProperty("values"));
                string name = sweep.GetProperty("summary").GetProperty("name").GetString()!;
                for (int i = 0; i < p.ConfirmSeeds.Count; i++)
                    if (sweeps.Find($"{name["bench-sweeps-".Length..]}|confirm-{i}") is { } run
                        && ExperimentBatch.Result(run.Experiment, "validation", p.Cell.Domain, "accuracy") is { } v)
                        Full(c, run.Experiment.GetProperty("spec").GetProperty("training").GetProperty("seed").GetInt32(), v, "confirmations of searches' winners");
            }
        }
        var fullByConfig = p.Grid.ToDictionary(c => c, c => (IReadOnlyList<double>)full.Where(f => f.Key.C == c).OrderBy(f => f.Key.Seed).Select(f => f.Value).ToList());
        return (new SweepObservations(first.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<double>)kv.Value), fullByConfig, pairs), sources);
    }

    private static double Quantile(List<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Floor(q * (sorted.Count - 1) + 0.5), 0, sorted.Count - 1)];

    private async Task WriteAsync(SweepBenchProtocol p, SweepObservations o, Dictionary<string, int> sources, SweepPowerModel pooled, SweepPowerModel own,
        Dictionary<(double X, int D), double> gridMeans, (double X, int D) winner, List<Row> rows, int refits, int perRefit, int point, CancellationToken ct)
    {
        static string F(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);
        static string Pct(double v) => (100 * v).ToString("0", CultureInfo.InvariantCulture) + " %";
        static string Cell(Rate r) => $"**{Pct(r.Point)}** [{Pct(r.Low)}, {Pct(r.High)}]";
        static string Cube(Rate r) => $"{Pct(Math.Pow(r.Point, 3))} [{Pct(Math.Pow(r.Low, 3))}, {Pct(Math.Pow(r.High, 3))}]";
        static double Sd(IReadOnlyList<double> xs) => xs.Count < 2 ? double.NaN : Math.Sqrt(xs.Sum(x => Math.Pow(x - xs.Average(), 2)) / (xs.Count - 1));
        string Label((double X, int D) c) => c == winner ? $"**{SweepBenchProtocol.Describe(c.X, c.D)}**" : SweepBenchProtocol.Describe(c.X, c.D);
        var runnerUp = gridMeans.Where(g => g.Key != winner).MaxBy(g => g.Value);
        var md = new StringBuilder();
        md.AppendLine($"# Sweeps power: how often would a design meet the sweep bench's target? ({ReportBackbones.Preset}, from the runs already made)");
        md.AppendLine();
        md.AppendLine($"`./platform bench sweeps-power`, in process on {Machine.Describe()}; nothing is trained. Six registrations of the sweep bench (`bench/results/sweeps.md`) each met its target in 2 of 3 repetitions. " +
            "This asks how often each design *would* meet it: it fits a model to every archived run of the bench's 15 configurations and runs each design many times through the platform's own scheduler " +
            "(`AshaScheduler`: every start, promotion, replicate and stop, and the winner by the platform's rule) against simulated training drawn from that model, two agents finishing in no fixed order. " +
            "The registrations ran with asynchronous promotions (a rung's leader promoted while few had reported); today's scheduler, where a step budget and a finite set of configurations make the budget bind, promotes a trial only once it is certain to stay in its rung's top 1/η — both are simulated. " +
            $"A simulated search meets the target when it chooses the grid's winner, {Label(winner)}: every other configuration is at least {F(gridMeans[winner] - runnerUp.Value)} below it on the grid " +
            $"({SweepBenchProtocol.Describe(runnerUp.Key.X, runnerUp.Key.D)}: {F(o.Full[winner].Average() - o.Full[runnerUp.Key].Average())} below over their {o.Full[winner].Count} and {o.Full[runnerUp.Key].Count} unselected runs), " +
            "so another choice is not equivalent within ±1 point (the two other configurations searches chose were confirmed not to be: `bench/results/sweeps.md`); choosing it gives the grid's own runs.");
        md.AppendLine();
        md.AppendLine("## The runs it learns from");
        md.AppendLine();
        md.AppendLine($"- At the full budget ({p.Report.Steps} steps), runs on seeds chosen for nothing: {string.Join("; ", sources.Select(s => $"{s.Value} from the {s.Key}"))} (a seed counted once per configuration).");
        md.AppendLine($"- At the first rung ({p.MinSteps} steps): every trial of the searches with that rung (the pilot's three and registrations 5–6's six): {o.FirstRung.Values.Sum(v => v.Count)} values, {o.FirstRung.Values.Min(v => v.Count)}–{o.FirstRung.Values.Max(v => v.Count)} per configuration.");
        md.AppendLine($"- Both, on the same run: the {o.Pairs.Count} promoted trials of those searches. Pooled over configurations, a run one standard deviation (of its configuration's first-rung values) ahead at the first rung is **{F(pooled.Carry)}** ahead at the full budget, with a residual spread of **{F(pooled.Residual)}**; " +
            $"with each configuration's own residual (where it has {SweepPowerModel.MinPairs} or more promoted runs): {string.Join(", ", p.Grid.Where(c => own.Residuals[c] != pooled.Residual).OrderByDescending(c => gridMeans[c]).Select(c => $"{SweepBenchProtocol.Describe(c.X, c.D)} {F(own.Residuals[c])}"))}. " +
            "(Promoted for their first rung, these runs leave the carry and residual unbiased, not their full-budget mean, which comes from the unselected runs only.)");
        md.AppendLine();
        md.AppendLine($"| configuration | grid (seeds {string.Join(", ", p.Report.GridSeeds)}) | {p.MinSteps} steps: mean (n) [range] | {p.Report.Steps} steps, unselected runs: mean ± sd (n) | the model's sd at {p.Report.Steps} steps: pooled / own |");
        md.AppendLine("|---|---|---|---|---|");
        foreach (var c in p.Grid.OrderByDescending(c => gridMeans[c]))
        {
            var f = o.FirstRung[c];
            var u = o.Full[c];
            md.AppendLine($"| {Label(c)} | {F(gridMeans[c])} | {F(f.Average())} ({f.Count}) [{F(f.Min())}, {F(f.Max())}] | {F(u.Average())} ± {(u.Count > 1 ? F(Sd(u)) : "—")} ({u.Count}) | {F(pooled.FullSd(c))} / {F(own.FullSd(c))} |");
        }
        md.AppendLine();
        md.AppendLine("## The designs");
        md.AppendLine();
        md.AppendLine($"Each design's chance of meeting the target in one repetition: the share of {point:N0} simulated searches that chose the grid's winner, on the model fitted to all runs; in brackets, the 2.5–97.5 % range of that share over {refits} refits of the model to resampled runs ({perRefit} searches each) — the uncertainty of the model's data, the larger part here. " +
            "Two models: every configuration's full-budget noise pooled, or each configuration's own (the grid's winner varies less than the pooled figure across its unselected seeds). Three in a row is the chance cubed. Steps: the most any simulated search trained (the share of the grid's 12,000).");
        md.AppendLine();
        md.AppendLine("| design | steps | one repetition met: pooled noise | three of three | one repetition met: own noise | three of three | registered: met | chosen instead, most often (pooled) |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            var other = r.Choices.Where(c => c.Key != SweepBenchProtocol.Describe(winner.X, winner.D)).OrderByDescending(c => c.Value).FirstOrDefault();
            md.AppendLine($"| {r.Design.Label} | {r.Steps:N0} ({Pct(r.Steps / (double)p.GridSteps)}) | {Cell(r.Pooled)} | {Cube(r.Pooled)} | {Cell(r.Own)} | {Cube(r.Own)} | " +
                $"{(r.Design.Observed is { } ob ? $"{ob.Met} of {ob.Of}" : "—")} | {(other.Key is null ? "—" : $"{other.Key} ({Pct(other.Value)})")} |");
        }
        md.AppendLine();
        md.AppendLine("## What it says");
        md.AppendLine();
        foreach (var r in rows.Where(r => r.Design.Observed is not null))
        {
            var (met, of) = r.Design.Observed!.Value;
            double AtMost(double rate) => Enumerable.Range(0, met + 1).Sum(k => Binomial(of, k) * Math.Pow(rate, k) * Math.Pow(1 - rate, of - k));
            md.AppendLine($"- Model check — {r.Design.Label.Split(':')[0]}: predicted {Pct(r.Pooled.Point)} (pooled) or {Pct(r.Own.Point)} (own) per repetition; it met {met} of {of}, which the models give {Pct(AtMost(r.Pooled.Point))} and {Pct(AtMost(r.Own.Point))} for {met} or fewer.");
        }
        foreach (var (asRun, today) in rows.Where(r => r.Design.Asynchronous).Select(r => (r, rows.FirstOrDefault(t => !t.Design.Asynchronous && t.Design.Definition == r.Design.Definition))))
            if (today is not null)
                md.AppendLine($"- Certain promotions, {asRun.Design.Label.Split(':')[0].Replace(" as run", "")}'s design: {Pct(asRun.Pooled.Point)} → {Pct(today.Pooled.Point)} (pooled) and {Pct(asRun.Own.Point)} → {Pct(today.Own.Point)} (own noise) per repetition, the same steps.");
        var current = rows.Where(r => !r.Design.Asynchronous).ToList();
        var capped = current.Where(r => r.Steps <= p.StepBudget).ToList();
        if (capped.Count > 0)
        {
            var best = capped.MaxBy(r => Math.Max(r.Pooled.Point, r.Own.Point))!;
            md.AppendLine($"- Within the target's {SweepBenchProtocol.StepShare:P0} cap the best design here is {best.Design.Label}: one repetition {Pct(best.Pooled.Point)} / {Pct(best.Own.Point)} (pooled / own noise), three of three {Pct(Math.Pow(best.Pooled.Point, 3))} / {Pct(Math.Pow(best.Own.Point, 3))}.");
        }
        foreach (var (name, pick) in new (string, Func<Row, Rate>)[] { ("pooled", r => r.Pooled), ("own", r => r.Own) })
        {
            var reliable = current.Where(r => Math.Pow(pick(r).Point, 3) >= 0.8).OrderBy(r => r.Steps).FirstOrDefault();
            md.AppendLine(reliable is null
                ? $"- With {name} noise, no design here meets three of three with a chance of 80 % or more."
                : $"- With {name} noise, the cheapest design here with a chance of 80 % or more of three of three: {reliable.Design.Label} ({Pct(Math.Pow(pick(reliable).Point, 3))}, {reliable.Steps:N0} steps, {Pct(reliable.Steps / (double)p.GridSteps)} of the grid's).");
        }
        if (rows.FirstOrDefault(r => r.Design.Definition.Algorithm == SweepAlgorithms.Grid && r.Design.Definition.FinalRungSeeds == p.Report.GridSeeds.Count) is { } again)
            md.AppendLine($"- The grid itself, run again on fresh seeds, chooses its own winner {Pct(again.Pooled.Point)} / {Pct(again.Own.Point)} of the time: a target of the grid's winner is partly a target of the grid's own luck.");
        md.AppendLine();
        md.AppendLine("**Limits.** A model, not runs: a first-rung value is one of 8–9 seen for its configuration; the continuation to the full budget is linear; " +
            "in the platform's searches all trials of a repetition share one seed, here each run is independent. The intervals show the data's uncertainty, not the model's (the two noise models show some of that). " +
            "It predicts; only a registration measures.");
        md.AppendLine();
        object Json(Rate r) => new { rate = r.Point, low = r.Low, high = r.High, threeOfThree = Math.Pow(r.Point, 3) };
        var json = JsonSerializer.Serialize(new
        {
            scenario = Name, machine = Machine.Describe(), firstRung = p.MinSteps, fullBudget = p.Report.Steps, gridSteps = p.GridSteps, stepBudget = p.StepBudget,
            gridWinner = new { multiplier = winner.X, bottleneck = winner.D },
            model = new { carry = pooled.Carry, residual = pooled.Residual, pairs = o.Pairs.Count, minPairsForOwnResidual = SweepPowerModel.MinPairs },
            sources,
            configurations = p.Grid.Select(c => new
            {
                multiplier = c.X, bottleneck = c.D, grid = gridMeans[c], firstRung = o.FirstRung[c], full = o.Full[c],
                ownResidual = own.Residuals[c], modelFullSdPooled = pooled.FullSd(c), modelFullSdOwn = own.FullSd(c),
            }),
            simulation = new { searches = point, refits, searchesPerRefit = perRefit },
            designs = rows.Select(r => new
            {
                label = r.Design.Label, asynchronousPromotions = r.Design.Asynchronous, algorithm = r.Design.Definition.Algorithm, eta = r.Design.Definition.Eta, finalRungSeeds = r.Design.Definition.FinalRungSeeds,
                promotionTolerance = r.Design.Definition.PromotionTolerance, totalSteps = r.Design.Definition.Budget.TotalSteps, maxStepsTrained = r.Steps,
                pooled = Json(r.Pooled), own = Json(r.Own), observed = r.Design.Observed is { } ob ? new { met = ob.Met, of = ob.Of } : null, chosen = r.Choices,
            }),
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true });
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{Name}{(quick ? "-quick" : "")}.json"), json, ct);
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{Name}{(quick ? "-quick" : "")}.md"), md.ToString(), ct);
        Console.WriteLine(md.ToString());
    }

    private static double Binomial(int n, int k) => Enumerable.Range(1, k).Aggregate(1.0, (acc, i) => acc * (n - k + i) / i);
}
