using System.Text.Json.Nodes;
using AdapterLab.Bench.Runner;
using AdapterLab.Bench.Scenarios.Sweeps;
using AdapterLab.Contracts.Sweeps;

namespace AdapterLab.Bench.Tests;

/// <summary>The sweep bench's power simulation: its model of the runs, and designs run through the platform's scheduler against it.</summary>
public sealed class SweepPowerTests
{
    private static readonly (double X, int D)[] Configs = Enumerable.Range(0, 15).Select(i => ((double)i, 8)).ToArray();

    /// <summary>A sweep over the 15 configurations (a listed space) with 400-step trials, as the bench's searches.</summary>
    private static SweepPlan Plan(string algorithm = SweepAlgorithms.Asha, int eta = 7, int seeds = 2, long totalSteps = 4_200, int? minSteps = 200) =>
        SweepPlan.From(new SweepDefinition
        {
            Name = "power",
            Template = new JsonObject { ["training"] = new JsonObject { ["steps"] = 400 } },
            Space = new() { ["training.learningRate"] = new SearchDimension { Values = new JsonArray(Enumerable.Range(1, 15).Select(i => (JsonNode)JsonValue.Create(i * 1e-3)!).ToArray()) } },
            Budget = new SweepBudget { MaxTrials = 15, TotalSteps = totalSteps },
            Algorithm = algorithm, Eta = eta, FinalRungSeeds = seeds, MinSteps = algorithm is SweepAlgorithms.Asha or SweepAlgorithms.Hyperband ? minSteps : null, MaxConcurrent = 2,
        });

    /// <summary>A noise-free world: configuration i scores <paramref name="first"/>(i) at the first rung and <paramref name="full"/>(i) at the full budget, every time.</summary>
    private static SweepPowerModel Exact(Func<int, double> first, Func<int, double> full) => SweepPowerModel.Fit(new SweepObservations(
        Configs.ToDictionary(c => c, c => (IReadOnlyList<double>)[first((int)c.X)]),
        Configs.ToDictionary(c => c, c => (IReadOnlyList<double>)[full((int)c.X)]),
        Configs.Take(3).Select(c => (c, first((int)c.X), full((int)c.X))).ToList()));

    [Fact]
    public void The_model_recovers_the_carry_and_residual_it_was_drawn_from_even_from_runs_promoted_for_their_first_rung()
    {
        var rng = new Random(7);
        var three = Configs.Take(3).ToArray();
        double[] meanFirst = [0.60, 0.70, 0.72], sdFirst = [0.10, 0.02, 0.03], meanFull = [0.65, 0.76, 0.79];
        const double carry = 0.010, residual = 0.020;
        var first = three.ToDictionary(c => c, c => (IReadOnlyList<double>)Enumerable.Range(0, 4_000).Select(_ => meanFirst[(int)c.X] + sdFirst[(int)c.X] * SweepPowerModel.Normal(rng)).ToList());
        var full = three.ToDictionary(c => c, c => (IReadOnlyList<double>)Enumerable.Range(0, 4_000).Select(_ => meanFull[(int)c.X] + Math.Sqrt(carry * carry + residual * residual) * SweepPowerModel.Normal(rng)).ToList());
        // Pairs from runs promoted because their first rung was above their configuration's mean: the mean of their full
        // budget is biased upwards, their carry is not.
        var pairs = new List<((double X, int D), double, double)>();
        while (pairs.Count < 6_000)
        {
            var c = three[rng.Next(3)];
            double z = SweepPowerModel.Normal(rng);
            if (z < 0.5) continue;
            pairs.Add((c, meanFirst[(int)c.X] + sdFirst[(int)c.X] * z, meanFull[(int)c.X] + carry * z + residual * SweepPowerModel.Normal(rng)));
        }
        var model = SweepPowerModel.Fit(new SweepObservations(first, full, pairs));
        Assert.Equal(carry, model.Carry, 0.0015);
        Assert.Equal(residual, model.Residual, 0.0015);
        Assert.All(three, c => Assert.Equal(meanFull[(int)c.X], model.MeanFull[c], 0.002));
        Assert.All(three, c => Assert.Equal(Math.Sqrt(carry * carry + residual * residual), model.FullSd(c), 0.002));
        // A configuration whose first rung swings widely carries no more of it to the full budget than a steady one.
        var wide = Enumerable.Range(0, 2_000).Select(_ => model.Draw(three[0], rng).Full).ToList();
        double sd = Math.Sqrt(wide.Sum(v => Math.Pow(v - wide.Average(), 2)) / (wide.Count - 1));
        Assert.InRange(sd, 0.018, 0.027);
    }

    [Fact]
    public void A_configuration_needs_both_rungs_and_the_carry_three_promoted_runs()
    {
        var first = Configs.ToDictionary(c => c, c => (IReadOnlyList<double>)[0.5]);
        var full = Configs.ToDictionary(c => c, c => (IReadOnlyList<double>)(c.X == 3 ? [] : [0.6]));
        Assert.Throws<ArgumentException>(() => SweepPowerModel.Fit(new SweepObservations(first, full, [(Configs[0], 0.5, 0.6), (Configs[1], 0.5, 0.6), (Configs[2], 0.5, 0.6)])));
        var complete = Configs.ToDictionary(c => c, c => (IReadOnlyList<double>)[0.6]);
        Assert.Throws<ArgumentException>(() => SweepPowerModel.Fit(new SweepObservations(first, complete, [(Configs[0], 0.5, 0.6)])));
    }

    [Fact]
    public void Without_noise_each_design_chooses_the_best_configuration_and_trains_what_the_scheduler_allows()
    {
        // Configuration i is better the larger i, at both rungs.
        var model = Exact(i => 0.5 + 0.01 * i, i => 0.6 + 0.01 * i);
        var rng = new Random(1);
        // η 7 with two seeds: 15 first rungs and two finalists with their replicates, the cap exactly; η 3 with one seed: 15
        // first rungs, the final top five and room for one early leader more; the grid with two seeds: all of it.
        foreach (var (plan, least, most) in new[] { (Plan(), 4_200L, 4_200L), (Plan(eta: 3, seeds: 1, totalSteps: 4_200), 4_000L, 4_200L), (Plan(SweepAlgorithms.Grid, seeds: 2, totalSteps: 12_000), 12_000L, 12_000L) })
            for (int i = 0; i < 20; i++)
            {
                var order = Configs.OrderBy(_ => rng.Next()).ToList();
                var outcome = SweepSimulation.Run(plan, order, model, 200, rng);
                Assert.Equal(Configs[^1], outcome.Winner);
                Assert.Equal(15, outcome.Trials);
                Assert.InRange(outcome.StepsTrained, least, most);
            }
    }

    [Fact]
    public void Without_noise_asynchronous_promotions_miss_the_best_configuration_when_it_reports_after_the_budget_is_spent()
    {
        // Registration 6's design (η 7, two seeds per finalist, 4,200 steps): the budget pays the rung's final top two and
        // no more. Asynchronous promotion takes the leader of the first seven and the runner-up of the first fourteen; the
        // best configuration, tried last, reports when both promotions are spent. Certain promotions wait for it.
        var model = Exact(i => 0.5 + 0.01 * i, i => 0.6 + 0.01 * i);
        var lastIsBest = Configs.ToList();
        int missed = 0;
        for (int i = 0; i < 20; i++)
        {
            var rng = new Random(100 + i);
            if (SweepSimulation.Run(Plan(), lastIsBest, model, 200, rng, certainPromotions: false).Winner != Configs[^1]) missed++;
            Assert.Equal(Configs[^1], SweepSimulation.Run(Plan(), lastIsBest, model, 200, rng).Winner);
        }
        Assert.True(missed > 0, "asynchronous promotions found the last-tried best configuration every time");
    }

    [Fact]
    public void A_hyperband_sweep_judges_every_full_budget_trial_on_its_seeds_in_both_brackets()
    {
        // Brackets 200 / 400 and 400 alone; trials alternate (8 and 7). Two seeds per full-budget trial: the straight
        // bracket's 7 trials start with their replicates (7 × 800), the halving bracket's top third of 8 are promoted with
        // theirs (8 × 200 + 2 × 600). The budget is exactly that, so it binds and every step shows.
        var plan = Plan(SweepAlgorithms.Hyperband, eta: 3, seeds: 2, totalSteps: 7 * 800 + 8 * 200 + 2 * 600);
        Assert.Equal(2, plan.Brackets.Count);
        var model = Exact(i => 0.5 + 0.01 * i, i => 0.6 + 0.01 * i);
        var rng = new Random(5);
        for (int i = 0; i < 20; i++)
        {
            var outcome = SweepSimulation.Run(plan, Configs.OrderBy(_ => rng.Next()).ToList(), model, 200, rng);
            Assert.Equal(8_400, outcome.StepsTrained);
            Assert.Equal(15, outcome.Trials);
            // The best configuration wins from either bracket (its 400-step mean is the best; rung numbers are not compared).
            Assert.Equal(Configs[^1], outcome.Winner);
        }
    }

    [Fact]
    public void A_late_bloomer_is_missed_by_successive_halving_and_found_by_the_grid()
    {
        // Configuration 0 is last at the first rung and first at the full budget: the search stops it, the grid does not.
        var model = Exact(i => i == 0 ? 0.3 : 0.5 + 0.01 * i, i => i == 0 ? 0.9 : 0.6 + 0.01 * i);
        var rng = new Random(2);
        var asha = SweepSimulation.Run(Plan(), Configs, model, 200, rng);
        Assert.Equal(Configs[^1], asha.Winner);
        var grid = SweepSimulation.Run(Plan(SweepAlgorithms.Grid, seeds: 1, totalSteps: 6_000), Configs, model, 200, rng);
        Assert.Equal(Configs[0], grid.Winner);
        Assert.Equal(6_000, grid.StepsTrained);
    }

    [Fact]
    public void Rungs_the_model_has_no_values_for_are_refused()
    {
        var model = Exact(i => 0.5, i => 0.6);
        var ex = Assert.Throws<ArgumentException>(() => SweepSimulation.Run(Plan(minSteps: 134, eta: 3), Configs, model, 200, new Random(3)));
        Assert.Contains("134", ex.Message);
    }

    [Fact]
    public void The_committed_runs_give_every_configuration_both_rungs_and_the_registered_designs_stay_in_their_cap()
    {
        var p = new SweepBenchProtocol(quick: false);
        var repository = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(repository.FullName, "Platform.sln"))) repository = repository.Parent!;
        var root = RunArchive.Root(Path.Combine(repository.FullName, "bench", "results"), quick: false);
        var adapters = new RunArchive(root, "adapters");
        var sweeps = new RunArchive(root, "sweeps");
        var (o, sources) = SweepPowerScenario.Read(p, adapters, sweeps, new RunArchive(root, "sweeps-pilot"));
        Assert.Equal(p.Grid.Count, o.FirstRung.Count);
        // Nine searches had a 200-step first rung (the pilot's three, registrations 5 and 6's six); repetition 16 tried 12 of 15.
        Assert.All(o.FirstRung.Values, v => Assert.InRange(v.Count, 8, 9));
        Assert.Equal(9 * 15 - 3, o.FirstRung.Values.Sum(v => v.Count));
        Assert.All(o.Full.Values, v => Assert.True(v.Count >= 2));
        Assert.True(o.Pairs.Count >= 40, $"{o.Pairs.Count} promoted runs");
        Assert.Equal(3, sources.Count);
        Assert.Equal((3.0, 32), SweepPowerScenario.GridWinner(p, adapters).Winner);
        var model = SweepPowerModel.Fit(o);
        Assert.InRange(model.Carry, 0, 0.05);
        Assert.InRange(model.Residual, 0.005, 0.05);
        var rng = new Random(4);
        foreach (int r in new[] { 13, 16 })
        {
            var plan = SweepPlan.From(SweepDefinition.Parse(sweeps.Find($"asha-r{r}")!.Experiment.GetProperty("definition").GetRawText()));
            for (int i = 0; i < 10; i++)
            {
                var outcome = SweepSimulation.Run(plan, p.Grid.OrderBy(_ => rng.Next()).ToList(), model, p.MinSteps, rng);
                Assert.InRange(outcome.StepsTrained, 15 * 200, p.StepBudget);
                Assert.NotNull(outcome.Winner);
            }
        }
    }
}
