using System.Text.Json.Nodes;
using AdapterLab.Contracts.Specs;
using AdapterLab.Contracts.Suites;
using AdapterLab.Contracts.Sweeps;
using Xunit;

namespace AdapterLab.Contracts.Tests.Sweeps;

/// <summary>A sweep's expected cost, as specs a suite run's window estimate schedules.</summary>
public sealed class SweepCostTests
{
    private static SweepDefinition Lr(string algorithm = SweepAlgorithms.Asha, int? maxTrials = 27, long? totalSteps = null, int confirmSeeds = 0) => new()
    {
        Name = "lr",
        Template = new JsonObject
        {
            ["specVersion"] = 1,
            ["kind"] = "adapt",
            ["backbone"] = new JsonObject { ["preset"] = "vit-tiny-ci", ["source"] = "random" },
            ["method"] = new JsonObject { ["name"] = "adaptformer" },
            ["data"] = new JsonObject { ["labelFamily"] = "object-count", ["sourceDomain"] = "textured" },
            ["training"] = new JsonObject { ["steps"] = 600, ["batchSize"] = 64 },
        },
        Space = new() { ["training.learningRate"] = new SearchDimension { Type = SearchTypes.LogUniform, Low = 1e-4, High = 3e-2 } },
        Objective = new SweepObjective { Metric = "accuracy", Direction = "max" },
        Budget = new SweepBudget { MaxTrials = maxTrials, TotalSteps = totalSteps },
        Algorithm = algorithm,
        ConfirmSeeds = confirmSeeds,
    };

    private static long Steps(IEnumerable<ExperimentSpec> specs) => specs.Sum(s => (long)s.Training.Steps!.Value);

    [Fact]
    public void Asha_trains_all_trials_to_the_first_rung_a_third_to_the_second_and_a_ninth_to_the_full_budget()
    {
        var specs = SweepCost.Equivalents(Lr(confirmSeeds: 3));
        Assert.Equal(27 + 3, specs.Count);
        var trials = specs.Take(27).Select(s => s.Training.Steps!.Value).ToList();
        Assert.Equal(18, trials.Count(s => s == 67));
        Assert.Equal(6, trials.Count(s => s == 201));
        Assert.Equal(3, trials.Count(s => s == 600));
        Assert.All(specs.Skip(27), s => Assert.Equal(600, s.Training.Steps));
        // About a quarter of the grid's cost: the point of successive halving.
        Assert.Equal(18 * 67 + 6 * 201 + 3 * 600, Steps(specs.Take(27)));
        // Each trial's spec carries its own searched values.
        Assert.True(specs.Take(27).Select(s => s.Training.LearningRate).Distinct().Count() > 20);
    }

    [Fact]
    public void Final_rung_seeds_add_a_full_budget_replicate_per_extra_seed_for_each_trial_reaching_the_last_rung()
    {
        var specs = SweepCost.Equivalents(Lr() with { FinalRungSeeds = 3 });
        // The three trials that reach 600 steps each bring two replicates on the next seeds.
        Assert.Equal(27 + 3 * 2, specs.Count);
        Assert.Equal(18 * 67 + 6 * 201 + 3 * 600 * 3, Steps(specs));
        var finalist = specs.First(s => s.Training.Steps == 600);
        Assert.Equal(2, specs.Count(s => s.Training.LearningRate == finalist.Training.LearningRate && s.Training.Seed != finalist.Training.Seed));
    }

    [Fact]
    public void A_random_search_pays_every_trial_in_full_and_a_total_steps_budget_caps_the_cost()
    {
        Assert.Equal(10 * 600, Steps(SweepCost.Equivalents(Lr(SweepAlgorithms.Random, maxTrials: 10))));
        var capped = SweepCost.Equivalents(Lr(SweepAlgorithms.Random, maxTrials: 10, totalSteps: 3000));
        Assert.InRange(Steps(capped), 2990, 3010);
        // Hyperband: every bracket's trials start at its own first rung.
        var hyperband = SweepCost.Equivalents(Lr(SweepAlgorithms.Hyperband, maxTrials: 9));
        Assert.Equal(9, hyperband.Count);
        Assert.Contains(hyperband, s => s.Training.Steps == 67);
        Assert.Contains(hyperband, s => s.Training.Steps == 201);
    }

    [Fact]
    public void Trimming_a_suite_to_its_window_never_drops_the_fixed_sweep_cost()
    {
        var sweep = SweepCost.Equivalents(Lr(SweepAlgorithms.Random, maxTrials: 2));
        var experiment = sweep[0] with { Name = "extra" };
        var specs = sweep.Concat(Enumerable.Repeat(experiment, 4)).ToList();
        var history = new[] { new Throughput("vit-tiny-ci", "adaptformer", 640, 10) }; // 600 × 64 images ≈ 60 s + overhead each
        var kept = SuiteCostEstimator.Trim(specs, history, slots: 1, window: TimeSpan.FromMinutes(5), fixedCount: sweep.Count);
        Assert.Contains(0, kept);
        Assert.Contains(1, kept);
        Assert.True(kept.Count < specs.Count);
        Assert.Empty(SuiteCostEstimator.Trim(specs, history, slots: 1, window: TimeSpan.FromMinutes(1), fixedCount: sweep.Count));
    }
}
