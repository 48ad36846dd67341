using AdapterLab.Contracts.Sweeps;

namespace AdapterLab.Bench.Scenarios.Sweeps;

/// <summary>
/// One search of a sweep design run against simulated training: the platform's own scheduler
/// (<see cref="AshaScheduler.Decide"/>) decides every start, promotion, replicate and stop, and the platform's own rule
/// names the winner (<see cref="AshaScheduler.Winner"/>); only the training is drawn — each run's values from a
/// <see cref="SweepPowerModel"/>, each job's duration its steps times a factor in [0.9, 1.1] (two agents never finish in
/// lockstep, so promotions are as asynchronous as on the platform). A promoted trial continues its own run (its
/// full-budget value was drawn with its first rung's); a replicate is a fresh run of the configuration.
/// </summary>
public static class SweepSimulation
{
    public sealed record Outcome((double X, int D)? Winner, long StepsTrained, int Trials);

    private sealed class TrialRun((double X, int D) config, double first, double full)
    {
        public (double X, int D) Config { get; } = config;
        public double First { get; } = first;
        public double Full { get; } = full;
        public int TargetRung { get; set; }
        public TrialPhase Phase { get; set; } = TrialPhase.Running;
        public Dictionary<int, double> Results { get; } = [];
        public List<double?> Replicates { get; } = [];
    }

    private sealed record Job(double Finish, int Trial, int Replicate, long Steps);

    /// <param name="plan">The sweep design; its rungs must be the model's first rung and the full budget, or the full budget alone.</param>
    /// <param name="order">The configuration of each trial index (the platform draws this order from the sweep's seed).</param>
    /// <param name="firstRungSteps">The steps at which the model's first-rung values were measured.</param>
    /// <param name="certainPromotions">The scheduler's rule since registration 6 (true), or asynchronous promotions as the registrations ran (false).</param>
    public static Outcome Run(SweepPlan plan, IReadOnlyList<(double X, int D)> order, SweepPowerModel model, int firstRungSteps, Random rng, bool certainPromotions = true)
    {
        foreach (var ladder in plan.Brackets)
            if (ladder[^1] != plan.MaxSteps || ladder.Take(ladder.Count - 1).Any(s => s != firstRungSteps))
                throw new ArgumentException($"rungs {string.Join("/", ladder)}: the model knows {firstRungSteps} and {plan.MaxSteps} steps only", nameof(plan));
        int seeds = plan.Definition.FinalRungSeeds;
        var trials = new Dictionary<int, TrialRun>();
        var jobs = new List<Job>();
        double now = 0;
        long trained = 0;

        IReadOnlyList<TrialState> States() => trials.Select(kv =>
        {
            var t = kv.Value;
            var ladder = plan.Brackets[kv.Key % plan.Brackets.Count];
            int last = ladder.Count - 1;
            var results = t.Results.Where(r => r.Key < last).ToDictionary();
            if (t.Results.TryGetValue(last, out var own) && SweepTrials.FinalRungValue(seeds, own, t.Replicates) is { } value) results[last] = value;
            return new TrialState(kv.Key, kv.Key % plan.Brackets.Count, t.TargetRung, results, t.Phase, t.Replicates.Count, t.Replicates.Count(v => v is null));
        }).ToList();

        double Duration(long steps) => steps * (0.9 + 0.2 * rng.NextDouble());

        for (int round = 0; round < 10_000; round++)
        {
            var states = States();
            foreach (var decision in AshaScheduler.Decide(plan, states, trialCount: order.Count, certainPromotions: certainPromotions))
                switch (decision)
                {
                    case StartTrial s:
                        var (first, full) = model.Draw(order[s.Index], rng);
                        trials[s.Index] = new TrialRun(order[s.Index], first, full);
                        jobs.Add(new Job(now + Duration(s.Steps), s.Index, 0, s.Steps));
                        break;
                    case PromoteTrial p:
                        var promoted = trials[p.Index];
                        long more = p.Steps - plan.Brackets[p.Index % plan.Brackets.Count][p.FromRung];
                        promoted.TargetRung = p.ToRung;
                        promoted.Phase = TrialPhase.Running;
                        jobs.Add(new Job(now + Duration(more), p.Index, 0, more));
                        break;
                    case StartReplicate r:
                        trials[r.Index].Replicates.Add(null);
                        jobs.Add(new Job(now + Duration(r.Steps), r.Index, r.Replicate, r.Steps));
                        break;
                    case StopTrial x:
                        trials[x.Index].Phase = TrialPhase.Stopped;
                        break;
                }
            if (jobs.Count == 0) break;
            var done = jobs.MinBy(j => j.Finish)!;
            jobs.Remove(done);
            now = done.Finish;
            trained += done.Steps;
            var t = trials[done.Trial];
            if (done.Replicate > 0) t.Replicates[done.Replicate - 1] = model.Draw(t.Config, rng).Full;
            else
            {
                var ladder = plan.Brackets[done.Trial % plan.Brackets.Count];
                bool last = t.TargetRung == ladder.Count - 1;
                t.Results[t.TargetRung] = last ? t.Full : t.First;
                t.Phase = last ? TrialPhase.Completed : TrialPhase.Paused;
            }
        }
        var winner = AshaScheduler.Winner(plan.Brackets, States(), plan.Definition.Objective.Direction == "max");
        return new Outcome(winner is null ? null : trials[winner.Index].Config, trained, trials.Count);
    }
}
