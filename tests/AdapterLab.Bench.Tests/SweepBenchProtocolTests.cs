using AdapterLab.Bench.Runner;
using AdapterLab.Bench.Scenarios.Sweeps;
using AdapterLab.Contracts.Sweeps;

namespace AdapterLab.Bench.Tests;

/// <summary>The sweep benchmark's searches: valid platform sweeps over the grid's own space, within the target's budget.</summary>
public sealed class SweepBenchProtocolTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Each_repetition_is_a_valid_asha_sweep_over_the_grids_space_within_a_third_of_its_steps(bool quick)
    {
        var p = new SweepBenchProtocol(quick);
        var backbone = ReportBackbones.All(quick).Single(b => b.Key == p.Cell.Backbone);
        foreach (int r in p.Repetitions)
        {
            var d = SweepDefinition.Parse(p.Definition(backbone.Named, backbone.Label, r).ToJsonString());
            var plan = SweepPlan.From(d);
            Assert.Equal(SweepAlgorithms.Asha, d.Algorithm);
            Assert.Equal(r, d.Seed);
            Assert.Equal(p.Report.Steps, plan.MaxSteps);
            // The smallest rung is at least the warm-up (a trial is never judged inside it).
            Assert.All(plan.Brackets, b => Assert.True(b[0] >= plan.WarmupSteps, $"rung {b[0]} < warm-up {plan.WarmupSteps}"));
            Assert.True(d.Budget.TotalSteps <= SweepBenchProtocol.StepShare * p.GridSteps);
            // The space is the grid's own configurations, each tried once: its learning rates and its bottlenecks.
            var lr = d.Space["training.learningRate"];
            Assert.Equal(p.Multipliers.Select(x => p.Report.LearningRate(SweepBenchProtocol.Variant(8), x)), lr.Values!.Select(v => (double)v!));
            Assert.Equal(p.Bottlenecks, d.Space["method.bottleneck"].Values!.Select(v => (int)v!).ToList());
            var points = SearchSpace.Points(d)!;
            Assert.Equal(p.Grid.Count, points.Count);
            Assert.Equal(p.Grid.Count, d.Budget.MaxTrials);
            Assert.Equal([p.MinSteps, p.Report.Steps], plan.Rungs);
            // Registrations 4 and 5 (and a smoke run): a cut is judged with one standard error of a 500-image validation
            // accuracy of tolerance. Registration 6: two finalists of 15 (η = 7), each judged on two seeds, no tolerance.
            if (!quick) Assert.Equal(500, p.Report.ValidationSize);
            Assert.Equal(SweepBenchProtocol.EarlierPromotionTolerance, Math.Sqrt(0.65 * 0.35 / 500), 0.002);
            Assert.Equal(p.PromotionTolerance, d.PromotionTolerance);
            Assert.Equal((p.Eta, p.FinalRungSeeds), (d.Eta, d.FinalRungSeeds));
            if (!quick)
            {
                Assert.Equal((7, 2, 0.0), (d.Eta, d.FinalRungSeeds, d.PromotionTolerance));
                // 15 first rungs, then two finalists: 200 more steps each and a 400-step replicate — the cap exactly.
                Assert.Equal(2, p.Grid.Count / d.Eta);
                Assert.Equal(p.StepBudget, p.Grid.Count * 200L + p.Grid.Count / d.Eta * (200 + 400));
                Assert.Equal(p.StepBudget, d.Budget.TotalSteps);
            }
            // Trials train with a seed no grid run uses, one per repetition; the confirmations take the lowest unused seeds:
            // the grid winner's test seeds.
            int trialSeed = d.Template["training"]!["seed"]!.GetValue<int>();
            Assert.Equal(SweepBenchProtocol.TrialSeed(r), trialSeed);
            Assert.DoesNotContain(trialSeed, p.Report.Seeds);
            Assert.Equal(ConfirmationSeeds.For([trialSeed], d.ConfirmSeeds), p.ConfirmSeeds);
        }
        Assert.Equal(quick ? 1 : 3, p.Repetitions.Count);
        // Registration 6's repetitions are fresh searches: none reuses the search seeds of registrations 1–5 (1–15), and
        // no trial or replicate seed was a seed of theirs (101–115), the pilot's (201–203), the grid's or the confirmations';
        // its first rung is half the budget.
        var trainedOn = p.Repetitions.SelectMany(r => new[] { SweepBenchProtocol.TrialSeed(r), SweepTrials.ReplicateSeed(SweepBenchProtocol.TrialSeed(r), 1) }).ToList();
        if (!quick)
        {
            Assert.DoesNotContain(p.Repetitions, r => r <= 15);
            var earlier = Enumerable.Range(1, 15).Select(SweepBenchProtocol.TrialSeed).Concat(SweepPilot.Pilots.Select(SweepPilot.Seed)).Concat(p.Report.Seeds).Concat(p.Report.GridSeeds);
            Assert.Empty(trainedOn.Intersect(earlier));
            Assert.Equal(p.Report.Steps / 2, p.MinSteps);
        }
        Assert.Equal(trainedOn.Count, trainedOn.Distinct().Count());
    }

    [Fact]
    public void The_expected_cost_of_a_full_search_leaves_room_under_its_cap()
    {
        var p = new SweepBenchProtocol(quick: false);
        var backbone = ReportBackbones.All(false).Single(b => b.Key == p.Cell.Backbone);
        var d = SweepDefinition.Parse(p.Definition(backbone.Named, backbone.Label, p.Repetitions[0]).ToJsonString());
        long search = SweepCost.Equivalents(d with { ConfirmSeeds = 0 }).Sum(s => (long)(s.Training.Steps ?? 0));
        Assert.InRange(search, 1, p.StepBudget);
        Assert.Equal(12_000, p.GridSteps);
    }

    [Fact]
    public void The_pilot_searches_have_rungs_at_half_and_the_full_budget_fresh_seeds_no_confirmations_and_fit_the_cap()
    {
        var p = new SweepBenchProtocol(quick: false);
        var backbone = ReportBackbones.All(false).Single(b => b.Key == p.Cell.Backbone);
        var used = p.Report.Seeds.Concat(p.Report.GridSeeds).Concat(Enumerable.Range(1, 12).Select(SweepBenchProtocol.TrialSeed)).ToHashSet();
        var repository = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(repository.FullName, "Platform.sln"))) repository = repository.Parent!;
        var pilotArchive = new RunArchive(RunArchive.Root(Path.Combine(repository.FullName, "bench", "results"), quick: false), "sweeps-pilot");
        foreach (int n in SweepPilot.Pilots)
        {
            var json = p.Search(backbone.Named, backbone.Label, SweepPilot.Seed(n), SweepPilot.Seed(n), SweepPilot.FirstRung(p), 0, SweepPilot.Name(n), $"pilot {n}",
                SweepPilot.Eta, SweepPilot.PromotionTolerance, SweepPilot.FinalRungSeeds);
            // The pilot's definitions are its archive's keys: they carry no finalRungSeeds, as when they ran.
            Assert.False(json.ContainsKey("finalRungSeeds"));
            var d = SweepDefinition.Parse(json.ToJsonString());
            // …and are byte for byte the archived ones: a rerun of the pilot reads its searches instead of training them again.
            Assert.Equal(pilotArchive.Find($"pilot-{n}")!.Spec, json.ToJsonString());
            var plan = SweepPlan.From(d);
            Assert.Equal([200, 400], plan.Rungs);
            Assert.Equal(0, d.ConfirmSeeds);
            Assert.DoesNotContain(d.Template["training"]!["seed"]!.GetValue<int>(), used);
            // 15 first rungs and 5 promotions: 4,000 steps, a third of the grid's, with one tolerance promotion left under the cap.
            Assert.Equal(4_000, (long)p.Grid.Count * 200 + p.Grid.Count / SweepPilot.Eta * 200);
            Assert.True(4_200 <= p.StepBudget);
            Assert.Equal(p.StepBudget, d.Budget.TotalSteps);
        }
        Assert.Equal(3, SweepPilot.Pilots.Select(SweepPilot.Seed).Distinct().Count());
    }
}
