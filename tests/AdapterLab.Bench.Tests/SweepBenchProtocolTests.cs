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
            // Registrations 4 and 5: a cut is judged with one standard error of a 500-image validation accuracy of tolerance.
            if (!quick) Assert.Equal(500, p.Report.ValidationSize);
            Assert.Equal(SweepBenchProtocol.PromotionTolerance, Math.Sqrt(0.65 * 0.35 / 500), 0.002);
            Assert.Equal(SweepBenchProtocol.PromotionTolerance, d.PromotionTolerance);
            // Trials train with a seed no grid run uses, one per repetition; the confirmations take the lowest unused seeds:
            // the grid winner's test seeds.
            int trialSeed = d.Template["training"]!["seed"]!.GetValue<int>();
            Assert.Equal(SweepBenchProtocol.TrialSeed(r), trialSeed);
            Assert.DoesNotContain(trialSeed, p.Report.Seeds);
            Assert.Equal(ConfirmationSeeds.For([trialSeed], d.ConfirmSeeds), p.ConfirmSeeds);
        }
        Assert.Equal(quick ? 1 : 3, p.Repetitions.Count);
        // Registration 5's repetitions are fresh searches: none reuses the search or trial seeds of registrations 1–4 (1–12)
        // or the pilot's (201–203), and its first rung is half the budget.
        if (!quick) Assert.DoesNotContain(p.Repetitions, r => r <= 12 || SweepPilot.Pilots.Select(SweepPilot.Seed).Contains(SweepBenchProtocol.TrialSeed(r)));
        if (!quick) Assert.Equal(p.Report.Steps / 2, p.MinSteps);
        Assert.Equal(p.Repetitions.Count, p.Repetitions.Select(SweepBenchProtocol.TrialSeed).Distinct().Count());
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
        foreach (int n in SweepPilot.Pilots)
        {
            var d = SweepDefinition.Parse(p.Search(backbone.Named, backbone.Label, SweepPilot.Seed(n), SweepPilot.Seed(n), SweepPilot.FirstRung(p), 0, SweepPilot.Name(n), $"pilot {n}").ToJsonString());
            var plan = SweepPlan.From(d);
            Assert.Equal([200, 400], plan.Rungs);
            Assert.Equal(0, d.ConfirmSeeds);
            Assert.DoesNotContain(d.Template["training"]!["seed"]!.GetValue<int>(), used);
            // 15 first rungs and 5 promotions: 4,000 steps, a third of the grid's, with one tolerance promotion left under the cap.
            Assert.Equal(4_000, (long)p.Grid.Count * 200 + p.Grid.Count / SweepBenchProtocol.Eta * 200);
            Assert.True(4_200 <= p.StepBudget);
            Assert.Equal(p.StepBudget, d.Budget.TotalSteps);
        }
        Assert.Equal(3, SweepPilot.Pilots.Select(SweepPilot.Seed).Distinct().Count());
    }
}
