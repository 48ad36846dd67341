using System.Text.Json.Nodes;
using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Sweeps;
using Xunit;

namespace AdapterLab.Contracts.Tests.Sweeps;

public sealed class SweepTests
{
    private static SweepDefinition Lr(string algorithm = SweepAlgorithms.Asha, int steps = 600, int? maxTrials = 27, long? totalSteps = null, int concurrent = 3) => new()
    {
        Name = "lr-sweep",
        Template = new JsonObject
        {
            ["kind"] = "adapt",
            ["method"] = new JsonObject { ["name"] = "adaptformer" },
            ["training"] = new JsonObject { ["steps"] = steps, ["batchSize"] = 64 },
        },
        Space = new()
        {
            ["training.learningRate"] = new SearchDimension { Type = SearchTypes.LogUniform, Low = 1e-4, High = 3e-2 },
            ["method.bottleneck"] = new SearchDimension { Type = SearchTypes.Choice, Values = [8, 16, 64] },
        },
        Objective = new SweepObjective { Metric = "accuracy", Direction = "max" },
        Budget = new SweepBudget { MaxTrials = maxTrials, TotalSteps = totalSteps },
        Algorithm = algorithm,
        MaxConcurrent = concurrent,
    };

    [Fact]
    public void The_rung_ladder_starts_at_the_warm_up_or_later_and_ends_at_the_full_budget()
    {
        var plan = SweepPlan.From(Lr());
        Assert.Equal([67, 201, 600], plan.Rungs); // 600 / 3² rounded up, ≥ the 60-step warm-up
        Assert.Equal([60, 180, 540, 600], SweepPlan.From(Lr() with { MinSteps = 60 }).Rungs);
        var hyperband = SweepPlan.From(Lr(SweepAlgorithms.Hyperband) with { MinSteps = 60 });
        Assert.Equal(4, hyperband.Brackets.Count);
        Assert.Equal([600], hyperband.Brackets[^1]);
        Assert.Equal([600], SweepPlan.From(Lr(SweepAlgorithms.Random)).Rungs);
    }

    [Fact]
    public void Bad_definitions_are_refused_naming_every_field()
    {
        var bad = Lr() with
        {
            Name = "Bad Name",
            Algorithm = "bayes",
            Eta = 1,
            MinSteps = 10,
            Budget = new SweepBudget(),
            Objective = new SweepObjective { Direction = "up", Split = "train" },
            Space = new()
            {
                ["training.learningRate"] = new SearchDimension { Type = SearchTypes.LogUniform, Low = 0, High = 1 },
                ["training.steps"] = new SearchDimension { Type = SearchTypes.Choice, Values = [1] },
                ["x"] = new SearchDimension { Type = "normal" },
                ["y"] = new SearchDimension { Type = SearchTypes.Uniform, Low = 2, High = 1 },
            },
        };
        var errors = Assert.Throws<SweepDefinitionException>(() => SweepPlan.From(bad)).Errors;
        foreach (var field in new[] { "name", "algorithm", "eta", "budget", "objective.direction", "objective.split", "space.training.learningRate.low", "space.training.steps", "space.x.type", "space.y" })
            Assert.True(errors.ContainsKey(field), $"no error for {field}: {string.Join(", ", errors.Keys)}");
        var warmup = Assert.Throws<SweepDefinitionException>(() => SweepPlan.From(Lr() with { MinSteps = 10 })).Errors;
        Assert.Contains("warm-up", warmup["minSteps"][0]);
        var noSteps = Lr() with { Template = JsonNode.Parse("""{"kind": "adapt", "training": {"epochs": 3}}""")!.AsObject() };
        Assert.True(Assert.Throws<SweepDefinitionException>(() => SweepPlan.From(noSteps)).Errors.ContainsKey("template.training.steps"));
        var gridOfRanges = Lr(SweepAlgorithms.Grid);
        Assert.True(Assert.Throws<SweepDefinitionException>(() => SweepPlan.From(gridOfRanges)).Errors.ContainsKey("space.training.learningRate.type"));
    }

    [Fact]
    public void Draws_are_reproducible_within_their_ranges_and_applied_at_their_paths()
    {
        var d = Lr();
        for (int i = 0; i < 200; i++)
        {
            var a = SearchSpace.Draw(d, i);
            var b = SearchSpace.Draw(d, i);
            Assert.Equal(a["training.learningRate"]!.ToJsonString(), b["training.learningRate"]!.ToJsonString());
            double lr = a["training.learningRate"]!.GetValue<double>();
            Assert.InRange(lr, 1e-4, 3e-2);
            Assert.Contains(a["method.bottleneck"]!.GetValue<int>(), new[] { 8, 16, 64 });
        }
        // Log-uniform: about as many draws below the geometric midpoint as above it.
        double mid = Math.Sqrt(1e-4 * 3e-2);
        int below = Enumerable.Range(0, 1000).Count(i => SearchSpace.Draw(d, i)["training.learningRate"]!.GetValue<double>() < mid);
        Assert.InRange(below, 430, 570);
        var spec = SearchSpace.Apply(d.Template, SearchSpace.Draw(d, 3));
        Assert.Equal(64, spec["training"]!["batchSize"]!.GetValue<int>());
        Assert.NotNull(spec["training"]!["learningRate"]);
        Assert.NotNull(spec["method"]!["bottleneck"]);
        Assert.Null(d.Template["training"]!["learningRate"]); // the template is not modified
        var grid = Lr(SweepAlgorithms.Grid) with { Space = new() { ["a"] = new SearchDimension { Values = [1, 2] }, ["b"] = new SearchDimension { Values = ["x", "y", "z"] } } };
        Assert.Equal(6, SearchSpace.Grid(grid).Count);
    }

    /// <summary>
    /// A whole ASHA sweep simulated: each configuration has a true quality; a rung's observed value is that quality scaled
    /// by how far training went. The best configuration must reach the full budget, the sweep must cost far less than
    /// training every trial fully, promotions must resume (never restart) and the paused rest must end Stopped.
    /// </summary>
    [Fact]
    public void An_asha_sweep_promotes_the_best_trials_to_the_full_budget_and_stops_the_rest()
    {
        var plan = SweepPlan.From(Lr() with { MinSteps = 60 });
        double Quality(int index) => 0.5 + 0.4 * Math.Sin(index * 1.7 + 0.3) * Math.Sin(index * 1.7 + 0.3);
        var trials = new Dictionary<int, TrialState>();
        long trained = 0;
        for (int round = 0; round < 500; round++)
        {
            var decisions = AshaScheduler.Decide(plan, trials.Values.ToList());
            Assert.Equal(decisions, AshaScheduler.Decide(plan, trials.Values.ToList())); // pure: deciding twice decides the same
            if (decisions.Count == 0 && AshaScheduler.IsFinished(plan, trials.Values.ToList())) break;
            foreach (var decision in decisions)
                switch (decision)
                {
                    case StartTrial s:
                        trials[s.Index] = new TrialState(s.Index, s.Bracket, 0, new Dictionary<int, double>(), TrialPhase.Running);
                        break;
                    case PromoteTrial p:
                        Assert.Equal(TrialPhase.Paused, trials[p.Index].Phase);
                        // ASHA's rule: at the moment of promotion the trial is in the top ⌊n/η⌋ of its rung.
                        var rung = trials.Values.Where(t => t.Results.ContainsKey(p.FromRung)).OrderByDescending(t => t.Results[p.FromRung]).ThenBy(t => t.Index).ToList();
                        Assert.True(rung.FindIndex(t => t.Index == p.Index) < rung.Count / 3, $"trial {p.Index} promoted from rank {rung.FindIndex(t => t.Index == p.Index)} of {rung.Count}");
                        trials[p.Index] = trials[p.Index] with { TargetRung = p.ToRung, Phase = TrialPhase.Running };
                        break;
                    case StopTrial x:
                        trials[x.Index] = trials[x.Index] with { Phase = TrialPhase.Stopped };
                        break;
                }
            // The running trial that started first reports its rung (one result per round, asynchronous).
            if (trials.Values.Where(t => t.Phase == TrialPhase.Running).OrderBy(t => t.Index).FirstOrDefault() is { } done)
            {
                var ladder = plan.Brackets[done.Bracket];
                int from = done.TargetRung == 0 ? 0 : ladder[done.TargetRung - 1];
                trained += ladder[done.TargetRung] - from; // a promotion resumes from the rung checkpoint
                var results = new Dictionary<int, double>(done.Results) { [done.TargetRung] = Quality(done.Index) * ladder[done.TargetRung] / 600.0 };
                var reported = done with { Results = results, Phase = done.TargetRung == ladder.Count - 1 ? TrialPhase.Completed : TrialPhase.Paused };
                trials[done.Index] = reported;
                trials[done.Index] = reported with { Results = new Dictionary<int, double>(results) }; // redelivered: stored once, same state
            }
        }
        var all = trials.Values.ToList();
        Assert.Equal(27, all.Count);
        Assert.True(AshaScheduler.IsFinished(plan, all));
        Assert.DoesNotContain(all, t => t.Phase is TrialPhase.Paused or TrialPhase.Running);
        int best = all.MaxBy(t => Quality(t.Index))!.Index;
        Assert.Equal(TrialPhase.Completed, trials[best].Phase);
        int completed = all.Count(t => t.Phase == TrialPhase.Completed);
        Assert.InRange(completed, 1, 27 / 3);
        Assert.True(trained < 27L * 600 / 3, $"ASHA trained {trained} steps; every trial fully would be {27 * 600}");
    }

    [Fact]
    public void Trials_within_the_promotion_tolerance_of_the_cut_are_promoted_once_nothing_can_start_with_the_budget_left()
    {
        // Fifteen configurations (a listed space), rungs 134 / 400: the top five of the first rung were promoted and have
        // finished; ten wait at the first rung. The cut is the fifth value, 0.62; three trials tie at 0.616 — 2 of 500
        // validation images below it — and one is at 0.598.
        double[] values = [0.72, 0.674, 0.654, 0.642, 0.62, 0.616, 0.616, 0.616, 0.598, 0.57, 0.55, 0.51, 0.49, 0.47, 0.45];
        int[] order = [3, 0, 7, 12, 5, 9, 1, 14, 2, 4, 6, 8, 10, 11, 13]; // trial index of each value (started in this order)
        var trials = values.Select((v, rank) => new TrialState(order[rank], 0, rank < 5 ? 1 : 0,
            rank < 5 ? new Dictionary<int, double> { [0] = v, [1] = v + 0.05 } : new Dictionary<int, double> { [0] = v },
            rank < 5 ? TrialPhase.Completed : TrialPhase.Paused)).ToList();
        SweepDefinition Definition(double tolerance, long totalSteps) => Lr(steps: 400, maxTrials: 15, totalSteps: totalSteps, concurrent: 2) with
        {
            MinSteps = 134,
            PromotionTolerance = tolerance,
        };
        const long spent = 15 * 134 + 5 * 266;

        // Without a tolerance the search is over: the ten paused trials stop.
        var plain = AshaScheduler.Decide(SweepPlan.From(Definition(0, 4_200)), trials, trialCount: 15);
        Assert.Equal(10, plain.Count);
        Assert.All(plain, d => Assert.IsType<StopTrial>(d));

        // Within 0.02 of the cut: the three at 0.616 (ties by index), not the one at 0.598 — two slots now, the third next.
        var plan = SweepPlan.From(Definition(0.02, 4_200));
        var first = AshaScheduler.Decide(plan, trials, trialCount: 15);
        Assert.Equal([new PromoteTrial(1, 0, 1, 400, WithinTolerance: true), new PromoteTrial(9, 0, 1, 400, WithinTolerance: true)], first);
        var afterFirst = trials.Select(t => t.Index is 1 or 9 ? t with { TargetRung = 1, Phase = TrialPhase.Running } : t).ToList();
        Assert.Empty(AshaScheduler.Decide(plan, afterFirst, trialCount: 15)); // both slots busy
        afterFirst = afterFirst.Select(t => t.Index == 1 ? t with { Phase = TrialPhase.Completed, Results = new Dictionary<int, double>(t.Results) { [1] = 0.7 } } : t).ToList();
        Assert.Equal([new PromoteTrial(14, 0, 1, 400, WithinTolerance: true)], AshaScheduler.Decide(plan, afterFirst, trialCount: 15));
        var afterAll = afterFirst.Select(t => t.Index is 1 or 9 or 14
            ? t with { TargetRung = 1, Phase = TrialPhase.Completed, Results = new Dictionary<int, double>(t.Results) { [1] = 0.7 } } : t).ToList();
        var end = AshaScheduler.Decide(plan, afterAll, trialCount: 15);
        Assert.Equal([2, 4, 6, 8, 10, 11, 13], end.Select(d => Assert.IsType<StopTrial>(d).Index).Order());
        Assert.True(AshaScheduler.IsFinished(plan, afterAll.Select(t => t.Phase == TrialPhase.Paused ? t with { Phase = TrialPhase.Stopped } : t).ToList(), trialCount: 15));

        // The budget still binds: 2 × 266 steps left promote two of the three.
        var tight = SweepPlan.From(Definition(0.02, spent + 2 * 266 + 100));
        var two = AshaScheduler.Decide(tight, trials, trialCount: 15);
        Assert.Equal(2, two.Count);
        var third = two.Cast<PromoteTrial>().Select(p => p.Index).ToHashSet();
        var done = trials.Select(t => third.Contains(t.Index) ? t with { TargetRung = 1, Phase = TrialPhase.Completed, Results = new Dictionary<int, double>(t.Results) { [1] = 0.7 } } : t).ToList();
        Assert.All(AshaScheduler.Decide(tight, done, trialCount: 15), d => Assert.IsType<StopTrial>(d));

        // A tolerance never crowds out a configuration not yet tried: while one can start, only the top 1/η is promoted
        // (asynchronously: 4,200 steps pay the first rungs, the rung's final top five and three promotions more).
        var early = new[] { 0.72, 0.674, 0.654 }.Select((v, i) => new TrialState(i, 0, 0, new Dictionary<int, double> { [0] = v }, TrialPhase.Paused)).ToList();
        var wide = SweepPlan.From(Definition(1.0, 4_200));
        Assert.Equal([new PromoteTrial(0, 0, 1, 400), new StartTrial(3, 0, 134)], AshaScheduler.Decide(wide, early, trialCount: 15));
        // With the budget that pays the first rungs and the final top five and no more, even the leader of three waits:
        // with twelve still to report it may end 13th.
        var exact = SweepPlan.From(Definition(1.0, 15 * 134 + 5 * 266));
        Assert.Equal([new StartTrial(3, 0, 134), new StartTrial(4, 0, 134)], AshaScheduler.Decide(exact, early, trialCount: 15));
    }

    [Fact]
    public void The_winner_trained_furthest_in_steps_whichever_its_hyperband_bracket()
    {
        // Bracket 0 halves at 200 of 400 steps, bracket 1 starts at 400: its rung 0 is the full budget.
        IReadOnlyList<IReadOnlyList<int>> brackets = [[200, 400], [400]];
        var finalist = new TrialState(0, 0, 1, new Dictionary<int, double> { [0] = 0.6, [1] = 0.7 }, TrialPhase.Completed);
        var straight = new TrialState(1, 1, 0, new Dictionary<int, double> { [0] = 0.8 }, TrialPhase.Completed);
        var stopped = new TrialState(2, 0, 0, new Dictionary<int, double> { [0] = 0.95 }, TrialPhase.Stopped);
        var failed = new TrialState(3, 1, 0, new Dictionary<int, double> { [0] = 0.99 }, TrialPhase.Failed);
        // A full-budget result in either bracket beats any partial one; among them the best value (rung numbers would pick the finalist).
        Assert.Equal(1, AshaScheduler.Winner(brackets, [finalist, straight, stopped, failed], maximise: true)!.Index);
        // A trial stopped at 200 steps never beats one trained to 400, however well it scored there.
        Assert.Equal(0, AshaScheduler.Winner(brackets, [finalist, stopped], maximise: true)!.Index);
        Assert.Equal(1, AshaScheduler.Winner(brackets, [stopped, straight], maximise: true)!.Index);
        // Minimising, ties to the earlier trial; nothing reported: no winner.
        var twin = straight with { Index = 4 };
        Assert.Equal(0, AshaScheduler.Winner(brackets, [twin, straight, finalist], maximise: false)!.Index);
        Assert.Equal(1, AshaScheduler.Winner(brackets, [twin, straight], maximise: false)!.Index);
        Assert.Null(AshaScheduler.Winner(brackets, [new TrialState(5, 0, 0, new Dictionary<int, double>(), TrialPhase.Running)], maximise: true));
    }

    [Fact]
    public void A_free_slot_promotes_to_the_highest_rung_in_steps_across_hyperband_brackets()
    {
        // Brackets 12 / 24 / 48, 24 / 48 and 48 alone (η 2). Bracket 0's leader at its rung 1 (24 steps) and bracket 1's at
        // its rung 0 (24 steps too) both wait to go to 48: the same rung in steps, so the better value goes first.
        var plan = SweepPlan.From(Lr(SweepAlgorithms.Hyperband, steps: 48, maxTrials: 6, concurrent: 1) with { Eta = 2, MinSteps = 12 });
        Assert.Equal([[12, 24, 48], [24, 48], [48]], plan.Brackets.Select(b => b.ToArray()).ToArray());
        TrialState T(int i, int target, TrialPhase phase, params double[] values) =>
            new(i, i % 3, target, values.Select((v, k) => (v, k)).ToDictionary(x => x.k, x => x.v), phase);
        var trials = new[]
        {
            T(0, 1, TrialPhase.Paused, 0.5, 0.6), T(3, 1, TrialPhase.Paused, 0.55, 0.5),
            T(1, 0, TrialPhase.Paused, 0.7), T(4, 0, TrialPhase.Paused, 0.4),
            T(2, 0, TrialPhase.Completed, 0.3), T(5, 0, TrialPhase.Completed, 0.2),
        };
        Assert.Equal([new PromoteTrial(1, 0, 1, 48)], AshaScheduler.Decide(plan, trials, trialCount: 6));
    }

    [Fact]
    public void Where_the_step_budget_binds_a_promotion_waits_until_the_trial_is_certain_to_stay_in_its_rungs_top()
    {
        // Fifteen configurations, rungs 200 / 400, η 7: the rung's final top 1/7 is two trials. Fourteen reported (trial i
        // scored 0.5 + 0.01 i), one still trains its first rung.
        // Three slots: the decisions below are the rule's, not the concurrency limit's.
        SweepDefinition Definition(long? totalSteps) => Lr(steps: 400, maxTrials: 15, totalSteps: totalSteps, concurrent: 3) with { MinSteps = 200, Eta = 7 };
        var fourteen = Enumerable.Range(0, 15).Select(i => i < 14
            ? new TrialState(i, 0, 0, new Dictionary<int, double> { [0] = 0.5 + 0.01 * i }, TrialPhase.Paused)
            : new TrialState(i, 0, 0, new Dictionary<int, double>(), TrialPhase.Running)).ToList();
        // The budget pays the first rungs and two promotions: the leader is certain (the last report can pass it once, it
        // stays 2nd), the runner-up is not (it may end 3rd) — it waits, where asynchronous promotion would take it now.
        var capped = SweepPlan.From(Definition(15 * 200 + 2 * 200));
        Assert.Equal([new PromoteTrial(13, 0, 1, 400)], AshaScheduler.Decide(capped, fourteen, trialCount: 15));
        // The last configuration reports best of all: it and the old leader are the rung's top two, the old runner-up never promoted.
        var all = fourteen.Select(t => t.Index switch
        {
            13 => t with { TargetRung = 1, Phase = TrialPhase.Running },
            14 => t with { Results = new Dictionary<int, double> { [0] = 0.9 }, Phase = TrialPhase.Paused },
            _ => t,
        }).ToList();
        Assert.Equal([new PromoteTrial(14, 0, 1, 400)], AshaScheduler.Decide(capped, all, trialCount: 15));
        // A budget with room for one promotion more than the final top two: the runner-up may go now, asynchronously.
        var roomy = SweepPlan.From(Definition(15 * 200 + 3 * 200));
        Assert.Equal([new PromoteTrial(13, 0, 1, 400), new PromoteTrial(12, 0, 1, 400)], AshaScheduler.Decide(roomy, fourteen, trialCount: 15));
        // Without a step budget nothing is spent wrongly: plain asynchronous successive halving promotes the top two of fourteen now.
        var free = SweepPlan.From(Definition(null));
        Assert.Equal([new PromoteTrial(13, 0, 1, 400), new PromoteTrial(12, 0, 1, 400)], AshaScheduler.Decide(free, fourteen, trialCount: 15));
        // Nor for an unbounded stream of configurations (a random draw with no maxTrials), where no rung is ever complete.
        var stream = SweepPlan.From(Lr(steps: 400, maxTrials: null, totalSteps: 4_200, concurrent: 3) with { MinSteps = 200, Eta = 7 });
        Assert.Contains(new PromoteTrial(13, 0, 1, 400), AshaScheduler.Decide(stream, fourteen));
    }

    /// <summary>
    /// Runs a two-rung ASHA sweep with <c>finalRungSeeds</c> 2 to its end against a simulated platform: one run reports per
    /// round (a replicate first when one trains, else the running trial that started first); a trial's value at the
    /// first rung is <paramref name="quality"/> − 0.05, at the second its quality, its replicate's
    /// <paramref name="replicateValue"/>. Returns the trials and the steps trained.
    /// </summary>
    private static (List<TrialState> Trials, long Trained) Simulate(SweepPlan plan, int configurations, Func<int, double> quality, Func<int, double> replicateValue)
    {
        var trials = new Dictionary<int, TrialState>();
        var replicateDone = new Dictionary<(int Trial, int Replicate), bool>();
        var ownFinal = new Dictionary<int, double>();
        int first = plan.Rungs[0], full = plan.MaxSteps;
        long trained = 0;
        void Settle(int index)
        {
            // A finalist's last rung is known once its own run and its replicate reported: the mean of the two.
            var t = trials[index];
            var reps = replicateDone.Where(r => r.Key.Trial == index).ToList();
            trials[index] = t with
            {
                Replicates = reps.Count,
                ReplicatesRunning = reps.Count(r => !r.Value),
                Results = ownFinal.TryGetValue(index, out var own) && reps.Count == 1 && reps.All(r => r.Value)
                    ? new Dictionary<int, double>(t.Results) { [1] = (own + replicateValue(index)) / 2 }
                    : t.Results.Where(r => r.Key == 0).ToDictionary(),
            };
        }
        for (int round = 0; round < 500; round++)
        {
            var states = trials.Values.ToList();
            var decisions = AshaScheduler.Decide(plan, states, trialCount: configurations);
            Assert.Equal(decisions, AshaScheduler.Decide(plan, states, trialCount: configurations));
            if (decisions.Count == 0 && AshaScheduler.IsFinished(plan, states, trialCount: configurations)) break;
            foreach (var decision in decisions)
                switch (decision)
                {
                    case StartTrial s:
                        trials[s.Index] = new TrialState(s.Index, s.Bracket, 0, new Dictionary<int, double>(), TrialPhase.Running);
                        break;
                    case PromoteTrial p:
                        Assert.Equal(1, p.ToRung);
                        trials[p.Index] = trials[p.Index] with { TargetRung = 1, Phase = TrialPhase.Running };
                        break;
                    case StartReplicate r:
                        // Only a trial bound for the last rung, each replicate once, straight through the full budget.
                        Assert.Equal(1, trials[r.Index].TargetRung);
                        Assert.Equal((1, full), (r.Replicate, r.Steps));
                        Assert.True(replicateDone.TryAdd((r.Index, r.Replicate), false), $"replicate {r.Replicate} of trial {r.Index} started twice");
                        Settle(r.Index);
                        break;
                    case StopTrial x:
                        trials[x.Index] = trials[x.Index] with { Phase = TrialPhase.Stopped };
                        break;
                }
            if (replicateDone.Keys.Where(k => !replicateDone[k]).ToList() is [var key, ..])
            {
                replicateDone[key] = true;
                trained += full;
                Settle(key.Trial);
            }
            else if (trials.Values.Where(t => t.Phase == TrialPhase.Running).OrderBy(t => t.Index).FirstOrDefault() is { } done)
            {
                trained += done.TargetRung == 0 ? first : full - first; // the second rung resumes from the first's checkpoint
                if (done.TargetRung == 0)
                    trials[done.Index] = done with { Results = new Dictionary<int, double> { [0] = quality(done.Index) - 0.05 }, Phase = TrialPhase.Paused };
                else
                {
                    ownFinal[done.Index] = quality(done.Index);
                    trials[done.Index] = done with { Phase = TrialPhase.Completed };
                    Settle(done.Index);
                }
            }
        }
        return (trials.Values.ToList(), trained);
    }

    [Fact]
    public void A_trial_bound_for_the_last_rung_is_judged_on_its_seeds_whose_steps_are_reserved_with_its_promotion()
    {
        // Fifteen configurations, rungs 200 / 400 with η 7 (the top one of seven is promoted), each finalist judged on
        // two seeds; 4,200 steps: 15 × 200 + two finalists × (200 more + a 400-step replicate).
        var plan = SweepPlan.From(Lr(steps: 400, maxTrials: 15, totalSteps: 4_200, concurrent: 2) with { MinSteps = 200, Eta = 7, FinalRungSeeds = 2 });
        Assert.Equal([200, 400], plan.Rungs);
        double Quality(int index) => 0.5 + 0.3 * Math.Sin(index * 2.3 + 0.7) * Math.Sin(index * 2.3 + 0.7);
        double ReplicateValue(int index) => Quality(index) - 0.01 * (index % 3); // another seed: close, not equal
        var (all, trained) = Simulate(plan, 15, Quality, ReplicateValue);
        Assert.Equal(15, all.Count);
        Assert.True(AshaScheduler.IsFinished(plan, all, trialCount: 15));
        var finalists = all.Where(t => t.TargetRung == 1).ToList();
        Assert.Equal(2, finalists.Count); // the budget holds two finalists with their replicates, no more
        Assert.All(finalists, t => Assert.Equal((TrialPhase.Completed, 1, 0), (t.Phase, t.Replicates, t.ReplicatesRunning)));
        Assert.All(finalists, t => Assert.Equal((Quality(t.Index) + ReplicateValue(t.Index)) / 2, t.Results[1], 12));
        Assert.Equal(4_200, trained);

        // The replicate's steps are reserved with the promotion: 100 steps short of them, the best paused trial is not promoted
        // (it would be judged on fewer seeds than its rivals) and the paused trials stop.
        var paused = Enumerable.Range(0, 15).Select(i => new TrialState(i, 0, 0, new Dictionary<int, double> { [0] = Quality(i) }, TrialPhase.Paused)).ToList();
        var short100 = SweepPlan.From(plan.Definition with { Budget = new SweepBudget { MaxTrials = 15, TotalSteps = 15 * 200 + 200 + 400 - 100 } });
        Assert.All(AshaScheduler.Decide(short100, paused, trialCount: 15), d => Assert.IsType<StopTrial>(d));
        var exact = SweepPlan.From(plan.Definition with { Budget = new SweepBudget { MaxTrials = 15, TotalSteps = 15 * 200 + 200 + 400 } });
        int best = paused.MaxBy(t => Quality(t.Index))!.Index;
        Assert.Equal([new PromoteTrial(best, 0, 1, 400), new StartReplicate(best, 1, 400)], AshaScheduler.Decide(exact, paused, trialCount: 15));

        // A grid trial is at the last rung from its start: its replicates start with it (three seeds, three slots), and
        // the step budget counts them — 1,800 steps hold one configuration, not two.
        var grid = Lr(SweepAlgorithms.Grid, maxTrials: 100, totalSteps: 1_800, concurrent: 3) with
        {
            Space = new() { ["method.bottleneck"] = new SearchDimension { Values = [8, 16] } },
            FinalRungSeeds = 3,
        };
        Assert.Equal([new StartTrial(0, 0, 600), new StartReplicate(0, 1, 600), new StartReplicate(0, 2, 600)],
            AshaScheduler.Decide(SweepPlan.From(grid), [], trialCount: 2));
        var gridDone = new TrialState(0, 0, 0, new Dictionary<int, double>(), TrialPhase.Completed, Replicates: 2, ReplicatesRunning: 1);
        Assert.Empty(AshaScheduler.Decide(SweepPlan.From(grid), [gridDone], trialCount: 2));
        Assert.False(AshaScheduler.IsFinished(SweepPlan.From(grid), [gridDone], trialCount: 2)); // a replicate still trains
        Assert.True(AshaScheduler.IsFinished(SweepPlan.From(grid), [gridDone with { ReplicatesRunning = 0, Results = new Dictionary<int, double> { [0] = 0.5 } }], trialCount: 2));

        // The value judged: the mean once every seed reported, nothing before; one seed is the trial's own value.
        Assert.Equal(0.7, SweepTrials.FinalRungValue(1, 0.7, []));
        Assert.Null(SweepTrials.FinalRungValue(3, 0.7, [0.6]));
        Assert.Null(SweepTrials.FinalRungValue(3, 0.7, [0.6, null]));
        Assert.Equal(0.65, SweepTrials.FinalRungValue(3, 0.7, [0.6, 0.65])!.Value, 12);
        Assert.Equal([4, 5], new[] { 1, 2 }.Select(k => SweepTrials.ReplicateSeed(3, k)));
        Assert.Equal(0, SweepTrials.ReplicateSeed(int.MaxValue, 1));
    }

    [Fact]
    public void Promotions_leave_the_first_rungs_of_the_configurations_still_to_start_when_the_budget_pays_them_all()
    {
        // Each configuration leads the first rung when it reports (values rising with the order): asynchronous promotion
        // promotes each new leader in turn. Registration 6 of the sweep bench met this: three promotions of 600 steps spent
        // the 4,200 before three of the fifteen configurations had started. The first rungs of those still to start are
        // now kept: all fifteen are tried, and the two promotions the rest pays for go to leaders.
        var plan = SweepPlan.From(Lr(steps: 400, maxTrials: 15, totalSteps: 4_200, concurrent: 2) with { MinSteps = 200, Eta = 7, FinalRungSeeds = 2 });
        var (all, trained) = Simulate(plan, 15, i => 0.5 + 0.02 * i, i => 0.5 + 0.02 * i);
        Assert.Equal(15, all.Count);
        Assert.Equal(2, all.Count(t => t.TargetRung == 1));
        Assert.Equal(4_200, trained);

        // A budget that cannot pay every configuration's first rung keeps plain ASHA: promotions are not held back for
        // configurations it could never start (2,600 steps: 13 first rungs of 15; a promotion still happens).
        var small = SweepPlan.From(plan.Definition with { Budget = new SweepBudget { MaxTrials = 15, TotalSteps = 2_600 } });
        var (some, spent) = Simulate(small, 15, i => 0.5 + 0.02 * i, i => 0.5 + 0.02 * i);
        Assert.True(some.Count < 15);
        Assert.Contains(some, t => t.TargetRung == 1);
        Assert.True(spent <= 2_600, $"spent {spent}");

        // Unbounded configurations (draws from ranges with no trial limit) reserve nothing.
        var unbounded = SweepPlan.From(Lr(maxTrials: null, totalSteps: 1_000) with { MinSteps = 60 });
        var paused = Enumerable.Range(0, 3).Select(i => new TrialState(i, 0, 0, new Dictionary<int, double> { [0] = 0.5 + 0.1 * i }, TrialPhase.Paused)).ToList();
        Assert.IsType<PromoteTrial>(AshaScheduler.Decide(unbounded, paused)[0]);
    }

    [Fact]
    public void Final_rung_seeds_are_between_1_and_10()
    {
        foreach (var bad in new[] { 0, -1, 11 })
            Assert.True(Assert.Throws<SweepDefinitionException>(() => SweepPlan.From(Lr() with { FinalRungSeeds = bad })).Errors.ContainsKey("finalRungSeeds"));
        Assert.Equal(1, SweepDefinition.Parse("""{"name": "x"}""").FinalRungSeeds);
        Assert.Equal(3, SweepPlan.From(Lr(SweepAlgorithms.Random) with { FinalRungSeeds = 3 }).Definition.FinalRungSeeds);
    }

    [Fact]
    public void A_promotion_tolerance_is_a_finite_non_negative_number_for_asha_and_hyperband_only()
    {
        foreach (var bad in new[] { -0.01, double.NaN, double.PositiveInfinity })
            Assert.True(Assert.Throws<SweepDefinitionException>(() => SweepPlan.From(Lr() with { PromotionTolerance = bad })).Errors.ContainsKey("promotionTolerance"));
        var random = Assert.Throws<SweepDefinitionException>(() => SweepPlan.From(Lr(SweepAlgorithms.Random) with { PromotionTolerance = 0.02 })).Errors;
        Assert.Contains("only asha and hyperband", random["promotionTolerance"][0]);
        Assert.Equal(0.02, SweepPlan.From(Lr(SweepAlgorithms.Hyperband) with { PromotionTolerance = 0.02 }).Definition.PromotionTolerance);
        Assert.Equal(0.02, SweepDefinition.Parse("""{"name": "x", "promotionTolerance": 0.02}""").PromotionTolerance);
    }

    [Fact]
    public void A_step_budget_limits_what_starts_and_grid_sweeps_run_each_point_once()
    {
        var plan = SweepPlan.From(Lr(maxTrials: null, totalSteps: 1_000) with { MinSteps = 60 });
        var first = AshaScheduler.Decide(plan, []);
        Assert.Equal(3, first.Count); // three slots
        Assert.All(first, d => Assert.Equal(60, Assert.IsType<StartTrial>(d).Steps));

        var grid = Lr(SweepAlgorithms.Grid, maxTrials: 100) with { Space = new() { ["method.bottleneck"] = new SearchDimension { Values = [8, 16] } } };
        var gridPlan = SweepPlan.From(grid);
        var starts = AshaScheduler.Decide(gridPlan, [], trialCount: 2);
        Assert.Equal(2, starts.Count);
        Assert.All(starts, d => Assert.Equal(600, Assert.IsType<StartTrial>(d).Steps));
        var finished = starts.Cast<StartTrial>().Select(s => new TrialState(s.Index, 0, 0, new Dictionary<int, double> { [0] = 0.5 }, TrialPhase.Completed)).ToList();
        Assert.Empty(AshaScheduler.Decide(gridPlan, finished, trialCount: 2));
        Assert.True(AshaScheduler.IsFinished(gridPlan, finished, trialCount: 2));
    }

    [Fact]
    public void A_search_over_choices_only_tries_each_configuration_once_in_a_seeded_order()
    {
        var choices = Lr(SweepAlgorithms.Asha, maxTrials: 27) with
        {
            Space = new()
            {
                ["training.learningRate"] = new SearchDimension { Values = [1e-3, 3e-3, 1e-2, 3e-2, 1e-1] },
                ["method.bottleneck"] = new SearchDimension { Values = [2, 8, 32] },
            },
        };
        string Key(IReadOnlyDictionary<string, JsonNode?> p) => SweepTrials.ValuesJson(p);
        var points = SearchSpace.Points(choices)!;
        // A permutation of the grid: every configuration once, none twice (27 draws with replacement would repeat some).
        Assert.Equal(15, points.Count);
        Assert.Equal(SearchSpace.Grid(choices).Select(Key).Order(), points.Select(Key).Order());
        Assert.NotEqual(SearchSpace.Grid(choices).Select(Key), points.Select(Key));
        // The order depends only on the sweep's seed (a restarted orchestrator lists the same), and differs between seeds.
        Assert.Equal(points.Select(Key), SearchSpace.Points(choices)!.Select(Key));
        Assert.NotEqual(points.Select(Key), SearchSpace.Points(choices with { Seed = 2 })!.Select(Key));
        Assert.Equal(Key(points[4]), Key(SweepTrials.Values(choices, 4, points)));
        // The scheduler starts no more trials than there are configurations, although the trial budget allows 27.
        var plan = SweepPlan.From(choices with { MaxConcurrent = 20, MinSteps = 60 });
        Assert.Equal(15, AshaScheduler.Decide(plan, [], points.Count).Count(d => d is StartTrial));

        // A grid lists its points in order; a range, or a space too large to list, is drawn.
        var grid = choices with { Algorithm = SweepAlgorithms.Grid };
        Assert.Equal(SearchSpace.Grid(grid).Select(Key), SearchSpace.Points(grid)!.Select(Key));
        Assert.Null(SearchSpace.Points(Lr()));
        var huge = choices with { Space = new() { ["a"] = new SearchDimension { Values = [.. Enumerable.Range(0, 50).Select(i => (JsonNode)i)] }, ["b"] = new SearchDimension { Values = [.. Enumerable.Range(0, 50).Select(i => (JsonNode)i)] } } };
        Assert.Null(SearchSpace.Points(huge));
    }

    [Fact]
    public void A_winner_is_confirmed_with_the_lowest_seeds_no_trial_used()
    {
        Assert.Equal([1, 2, 3, 4, 5], ConfirmationSeeds.For([0], 5));
        Assert.Equal([1, 2, 3, 4, 5], ConfirmationSeeds.For([7, 7, 7], 5)); // paired by seed with any other sweep's confirmations
        Assert.Equal([2, 4, 5], ConfirmationSeeds.For([1, 3], 3));
        Assert.Empty(ConfirmationSeeds.For([1], 0));
    }

    [Fact]
    public void The_objective_is_read_from_a_trials_results_or_its_absence_is_named()
    {
        var objective = new SweepObjective { Metric = "accuracy" };
        FinalResult R(string split, string task, string domain, double v) => new(split, task, domain, "accuracy", v);
        Assert.Equal(0.5, objective.ValueIn([R("validation", "classification", "textured", 0.5), R("test", "classification", "textured", 0.9)], "textured").Value);
        var (missing, why) = objective.ValueIn([R("test", "classification", "textured", 0.9)], "textured");
        Assert.Null(missing);
        Assert.Contains("no validation 'accuracy'", why);
        var (ambiguous, which) = objective.ValueIn([R("validation", "a", "d", 0.1), R("validation", "b", "d", 0.2)], "d");
        Assert.Null(ambiguous);
        Assert.Contains("objective.task", which);
        Assert.Equal(0.2, (objective with { Task = "b" }).ValueIn([R("validation", "a", "d", 0.1), R("validation", "b", "d", 0.2)], "d").Value);
        Assert.Null(objective.ValueIn([R("validation", "classification", "d", double.NaN)], "d").Value);
    }

    [Fact]
    public void A_trials_spec_carries_its_values_name_and_tag_and_an_invalid_one_names_its_field()
    {
        var d = Lr(SweepAlgorithms.Grid) with
        {
            Template = new JsonObject
            {
                ["specVersion"] = 1, ["kind"] = "adapt",
                ["backbone"] = new JsonObject { ["preset"] = "vit-tiny-ci", ["source"] = "random" },
                ["method"] = new JsonObject { ["name"] = "adaptformer" },
                ["data"] = new JsonObject { ["labelFamily"] = "object-count", ["sourceDomain"] = "textured" },
                ["training"] = new JsonObject { ["steps"] = 60, ["batchSize"] = 16 },
            },
            Space = new() { ["method.bottleneck"] = new SearchDimension { Type = SearchTypes.Choice, Values = [8, -1] } },
        };
        var grid = SearchSpace.Grid(d);
        var (spec, errors) = SweepTrials.Spec(d, SweepTrials.Values(d, 0, grid), 0, allowDryRun: false);
        Assert.Empty(errors);
        Assert.Equal(8, spec!.Method.Bottleneck);
        Assert.Equal("lr-sweep-t0", spec.Name);
        Assert.Contains("sweep:lr-sweep", spec.Tags);
        var (bad, badErrors) = SweepTrials.Spec(d, SweepTrials.Values(d, 1, grid), 1, allowDryRun: false);
        Assert.Null(bad);
        Assert.Contains(badErrors.Keys, k => k.StartsWith("method.bottleneck", StringComparison.Ordinal));
    }
}
