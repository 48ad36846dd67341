using AdapterLab.Contracts.Specs;

namespace AdapterLab.Contracts.Sweeps;

/// <summary>
/// What a sweep is expected to train, as experiment specs a cost estimate can schedule (a suite run's window): each trial
/// at the steps successive halving is expected to give it — of the m trials of a bracket, ⌈m/η^k⌉ reach rung k — capped
/// by the sweep's <c>totalSteps</c>, plus the winner's fresh-seed confirmations at the full budget. Asynchronous
/// promotions can spend a little more or less; a wall-clock budget bounds the real cost on its own.
/// </summary>
public static class SweepCost
{
    /// <summary>Trials assumed for a sweep bounded only by its wall clock.</summary>
    public const int WallClockTrials = 81;

    public static IReadOnlyList<ExperimentSpec> Equivalents(SweepDefinition d)
    {
        var plan = SweepPlan.From(d);
        var points = SearchSpace.Points(d);
        long trials = d.Budget.MaxTrials
            ?? (d.Budget.TotalSteps is { } total ? Math.Max(1, total / plan.Brackets[0][0]) : WallClockTrials);
        if (points is not null) trials = d.Algorithm == SweepAlgorithms.Grid ? points.Count : Math.Min(trials, points.Count);
        trials = Math.Min(trials, SweepPlan.MaxTrialsLimit);
        int brackets = plan.Brackets.Count;
        var steps = new long[trials];
        for (int b = 0; b < brackets; b++)
        {
            var ladder = plan.Brackets[b];
            // Trials go to brackets in turn (as the scheduler starts them): bracket b holds trials b, b + B, b + 2B, …
            var members = Enumerable.Range(0, (int)trials).Where(i => i % brackets == b).ToList();
            for (int j = 0; j < members.Count; j++)
            {
                int rung = 0;
                while (rung + 1 < ladder.Count && j < Math.Ceiling(members.Count / Math.Pow(d.Eta, rung + 1))) rung++;
                steps[members[j]] = ladder[rung];
            }
        }
        // A trial that reaches the last rung is judged on finalRungSeeds runs: its replicates train the full budget each.
        var replicates = steps.Select(s => s == plan.MaxSteps ? (long)(d.FinalRungSeeds - 1) * plan.MaxSteps : 0).ToArray();
        long expected = steps.Sum() + replicates.Sum();
        double scale = d.Budget.TotalSteps is { } cap && expected > cap ? (double)cap / expected : 1;

        var specs = new List<ExperimentSpec>();
        for (int i = 0; i < trials; i++)
        {
            var (spec, _) = SweepTrials.Spec(d, SweepTrials.Values(d, i, points), i, allowDryRun: true);
            if (spec is null) continue;
            specs.Add(spec with { Training = spec.Training with { Steps = (int)Math.Max(1, Math.Round(steps[i] * scale)), Epochs = null } });
            for (int r = 1; r < d.FinalRungSeeds && replicates[i] > 0; r++)
                specs.Add(spec with { Training = spec.Training with { Steps = (int)Math.Max(1, Math.Round(plan.MaxSteps * scale)), Epochs = null, Seed = SweepTrials.ReplicateSeed(spec.Training.Seed, r) } });
        }
        if (specs.Count > 0)
            for (int s = 0; s < d.ConfirmSeeds; s++)
                specs.Add(specs[0] with { Training = specs[0].Training with { Steps = plan.MaxSteps, Epochs = null } });
        return specs;
    }
}
