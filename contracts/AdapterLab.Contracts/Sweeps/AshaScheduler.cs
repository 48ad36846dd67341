namespace AdapterLab.Contracts.Sweeps;

/// <summary>Where a trial is: training towards its target rung, paused at a rung (its checkpoint pinned), done, or out.</summary>
public enum TrialPhase { Running, Paused, Completed, Stopped, Failed }

/// <summary>
/// A trial as the scheduler sees it (read from PostgreSQL): its bracket, the rung it trains towards, its objective at
/// every rung it reached (one value per rung: a result delivered twice is stored once) and its phase. With
/// <see cref="SweepDefinition.FinalRungSeeds"/> above 1, its last rung's value is the mean over its own run and its
/// replicates, present once all of them reported; <paramref name="Replicates"/> counts the replicates started,
/// <paramref name="ReplicatesRunning"/> those not yet over.
/// </summary>
public sealed record TrialState(int Index, int Bracket, int TargetRung, IReadOnlyDictionary<int, double> Results, TrialPhase Phase,
    int Replicates = 0, int ReplicatesRunning = 0);

/// <summary>What the orchestrator does next.</summary>
public abstract record SweepDecision;

/// <summary>Start trial <paramref name="Index"/> (its configuration drawn by index) in its bracket, to train <paramref name="Steps"/> steps.</summary>
public sealed record StartTrial(int Index, int Bracket, int Steps) : SweepDecision;

/// <summary>
/// Resume paused trial <paramref name="Index"/> from its rung checkpoint to rung <paramref name="ToRung"/> (<paramref name="Steps"/> steps in total):
/// one of the rung's top 1/η, or — <paramref name="WithinTolerance"/> — below it by no more than the sweep's promotion tolerance.
/// </summary>
public sealed record PromoteTrial(int Index, int FromRung, int ToRung, int Steps, bool WithinTolerance = false) : SweepDecision;

/// <summary>
/// Start replicate <paramref name="Replicate"/> (1, 2, …) of trial <paramref name="Index"/>, which trains (or trained) to
/// the last rung: its configuration with the next seed, straight through <paramref name="Steps"/> steps
/// (<see cref="SweepDefinition.FinalRungSeeds"/>).
/// </summary>
public sealed record StartReplicate(int Index, int Replicate, int Steps) : SweepDecision;

/// <summary>The search is over and this trial waits in vain: <c>Stopped</c>, its checkpoint pin released.</summary>
public sealed record StopTrial(int Index) : SweepDecision;

/// <summary>
/// Asynchronous successive halving (Li et al., "A System for Massively Parallel Hyperparameter Tuning", 2020), with
/// Hyperband's brackets when the plan has several, as a pure function of the trials' state: whenever a slot is free,
/// promote the best not-yet-promoted trial among the top 1/η of the highest rung that has one (a resume from its rung
/// checkpoint, not a restart); otherwise start a new trial at its bracket's smallest rung while the budget lasts; once
/// nothing new can start, promote trials within the sweep's promotion tolerance of a cut with the budget left. When the
/// configurations are finite (a listed space or <c>maxTrials</c>) and the step budget can pay every one's first rung,
/// promotions leave those steps alone: every configuration is tried before the budget goes to promotions beyond it; and
/// where the budget left could not pay every rung's final top 1/η after an early promotion, a promotion waits until it is
/// certain — the trial stays in its rung's top 1/η whatever the trials still to report there score — so the budget is not
/// spent on an early leader later overtaken (plain ASHA otherwise: room in the budget, an unbounded stream of
/// configurations, or no step budget to spend wrongly). A trial
/// bound for the last rung with <c>finalRungSeeds</c> above 1 has its replicates started first (their steps reserved
/// with its promotion or start, so a trial is never judged on fewer seeds than its rivals for want of budget). When the
/// budget is spent and nothing runs or can be promoted, every paused trial is stopped. The same state always gives the
/// same decisions, so deciding twice (a redelivered result, a restarted orchestrator) changes nothing once applied.
/// Grid and random sweeps are the one-rung case: no promotions, only starts.
/// </summary>
public static class AshaScheduler
{
    /// <param name="plan">The validated sweep.</param>
    /// <param name="trials">Every trial started so far.</param>
    /// <param name="trialCount">How many configurations exist (grid: the grid's size; otherwise unlimited).</param>
    /// <param name="outOfTime">The wall-clock budget is spent (no new trials; running ones finish their rung).</param>
    /// <param name="certainPromotions">
    /// Promotions wait until certain where the budget binds (below); false decides as the scheduler did before that rule,
    /// for the sweep bench's power simulation to set what the registrations ran against what runs now. The orchestrator
    /// always decides with it.
    /// </param>
    public static IReadOnlyList<SweepDecision> Decide(SweepPlan plan, IReadOnlyList<TrialState> trials, int? trialCount = null, bool outOfTime = false,
        bool certainPromotions = true)
    {
        var d = plan.Definition;
        bool maximise = d.Objective.Direction == "max";
        var decisions = new List<SweepDecision>();
        var promoted = new HashSet<int>();
        int extra = d.FinalRungSeeds - 1;
        long replicateSteps = (long)extra * plan.MaxSteps;
        int running = trials.Count(t => t.Phase == TrialPhase.Running) + trials.Sum(t => t.ReplicatesRunning);
        long committed = trials.Sum(t => (long)Steps(plan, t) + (long)Math.Max(t.Replicates, AtLast(plan, t) && t.Phase != TrialPhase.Failed ? extra : 0) * plan.MaxSteps);
        int started = trials.Count;
        var byIndex = trials.ToDictionary(t => t.Index);
        // Replicates each trial bound for the last rung has started (or is now deciding to start).
        var replicated = trials.Where(t => AtLast(plan, t) && t.Phase != TrialPhase.Failed).ToDictionary(t => t.Index, t => t.Replicates);

        bool CanStart(long steps) =>
            !outOfTime
            && (d.Budget.MaxTrials is not { } max || started < max)
            && (trialCount is not { } n || started < n)
            && (d.Budget.TotalSteps is not { } total || committed + steps <= total);

        // The configurations still to start, when their number is bounded (a listed space, maxTrials) and the step budget
        // can pay every one's first rung: promotions never spend those steps. Asynchronous promotion promotes whoever leads
        // a rung while few have reported, and a lead taken over later promotes again; without this, such promotions can
        // spend the budget before every configuration was tried once.
        int? bound = outOfTime ? started : (d.Budget.MaxTrials, trialCount) switch
        {
            ({ } a, { } b) => Math.Min(a, b),
            ({ } a, null) => a,
            (null, { } b) => b,
            _ => null,
        };
        // What starting trial i commits: its bracket's first rung, and its replicates when that rung is the last.
        long StartCost(int i)
        {
            var ladder = plan.Brackets[i % plan.Brackets.Count];
            return ladder[0] + (ladder.Count == 1 ? replicateSteps : 0);
        }
        long Reserve()
        {
            long sum = 0;
            for (int i = started; i < bound; i++) sum += StartCost(i);
            return sum;
        }
        bool reserving = bound is not null && d.Budget.TotalSteps is { } cap && committed + Reserve() <= cap;
        // In that same case, where the budget binds, a promotion is made only once it is certain: the trial is in its rung's
        // top 1/η even if every trial still to report there beats it (synchronous successive halving's choice, made as soon
        // as it is known). Asynchronous promotion bets the budget on whoever leads while few have reported; where the budget
        // pays the rungs' final top 1/η and little more, a leader overtaken later has spent a promotion the final top needed
        // (the sweep bench's power simulation: 69 % → 81 % of searches choosing the grid's winner in registration 6's
        // design). Where the budget left would still pay every rung's final top after this promotion, it stays asynchronous.
        int EventualAtRung0(int bracket) =>
            Enumerable.Range(0, bound ?? 0).Count(i => i % plan.Brackets.Count == bracket)
            - trials.Count(t => t.Bracket == bracket && t.Phase == TrialPhase.Failed && !t.Results.ContainsKey(0));
        // How many trials of the bracket will report the rung in the end: at rung 0 every configuration of the bracket;
        // above it, the final top 1/η of the rung below (or more, should tolerance promotions have sent more).
        int Eventual(int bracket, int rung)
        {
            int eventual = EventualAtRung0(bracket);
            for (int k = 1; k <= rung; k++)
                eventual = Math.Max(eventual / d.Eta, trials.Count(t => t.Bracket == bracket && (t.Results.ContainsKey(k) || t.TargetRung >= k)));
            return eventual;
        }
        List<TrialState> Reported(int bracket, int rung) => trials.Where(t => t.Bracket == bracket && t.Phase != TrialPhase.Failed && t.Results.ContainsKey(rung))
            .OrderBy(t => maximise ? -t.Results[rung] : t.Results[rung]).ThenBy(t => t.Index).ToList();
        // The trials reported at the rung (best first) that stay in its final top 1/η whatever the trials still to report
        // there score: the first (final top) − (still to report) of them.
        int CertainCount(int bracket, int rung, List<TrialState> reported)
        {
            int eventual = Math.Max(Eventual(bracket, rung), reported.Count);
            return Math.Max(0, eventual / d.Eta - (eventual - reported.Count));
        }
        // What promoting every rung's final top 1/η still costs, beyond the promotions already certain to be among them.
        long FinalTopCost()
        {
            long sum = 0;
            for (int b = 0; b < plan.Brackets.Count; b++)
                for (int k = 0; k < plan.Brackets[b].Count - 1; k++)
                {
                    var reported = Reported(b, k);
                    int certain = reported.Take(CertainCount(b, k, reported)).Count(t => t.TargetRung > k || promoted.Contains(t.Index));
                    int owed = Math.Max(0, Math.Max(Eventual(b, k), reported.Count) / d.Eta - certain);
                    sum += owed * (plan.Brackets[b][k + 1] - plan.Brackets[b][k] + (k + 1 == plan.Brackets[b].Count - 1 ? replicateSteps : 0));
                }
            return sum;
        }
        bool Allowed(PromoteTrial p)
        {
            if (!reserving || !certainPromotions || d.Budget.TotalSteps is not { } total) return true;
            var t = byIndex[p.Index];
            var reported = Reported(t.Bracket, p.FromRung);
            if (reported.IndexOf(t) < CertainCount(t.Bracket, p.FromRung, reported)) return true;
            return committed + Cost(p) + Reserve() + FinalTopCost() <= total;
        }

        long Cost(PromoteTrial p) => p.Steps - RungSteps(plan, byIndex[p.Index], p.FromRung) + (ToLast(plan, byIndex[p.Index], p.ToRung) ? replicateSteps : 0);
        bool Fits(PromoteTrial p) => d.Budget.TotalSteps is not { } total || committed + Cost(p) + (reserving ? Reserve() : 0) <= total;
        void Promote(PromoteTrial p)
        {
            decisions.Add(p);
            promoted.Add(p.Index);
            committed += Cost(p);
            if (ToLast(plan, byIndex[p.Index], p.ToRung)) replicated[p.Index] = byIndex[p.Index].Replicates;
            running++;
        }

        while (running < d.MaxConcurrent)
        {
            if (replicated.Where(r => r.Value < extra).Select(r => (int?)r.Key).Min() is { } owed)
            {
                decisions.Add(new StartReplicate(owed, ++replicated[owed], plan.MaxSteps));
                running++;
                continue;
            }
            if (BestPromotion(plan, trials, promoted, maximise, 0, Allowed) is { } p && Fits(p))
            {
                Promote(p);
                continue;
            }
            int bracket = started % plan.Brackets.Count;
            long cost = StartCost(started);
            if (CanStart(cost))
            {
                decisions.Add(new StartTrial(started, bracket, plan.Brackets[bracket][0]));
                if (plan.Brackets[bracket].Count == 1) replicated[started] = 0;
                started++;
                committed += cost;
                running++;
                continue;
            }
            // Nothing new can start: the budget left goes to trials within the tolerance of a cut, judged on every
            // result in by now (never before a new configuration's first rung, which the tolerance must not crowd out).
            if (d.PromotionTolerance > 0 && BestPromotion(plan, trials, promoted, maximise, d.PromotionTolerance) is { } near && Fits(near))
            {
                Promote(near);
                continue;
            }
            break;
        }

        // Over: nothing running, nothing startable or promotable — the paused trials will never move again.
        if (running == 0 && decisions.Count == 0)
            decisions.AddRange(trials.Where(t => t.Phase == TrialPhase.Paused).Select(t => new StopTrial(t.Index)));
        return decisions;
    }

    /// <summary>True when the sweep has nothing left to do (every trial completed, stopped or failed, and nothing to start).</summary>
    public static bool IsFinished(SweepPlan plan, IReadOnlyList<TrialState> trials, int? trialCount = null, bool outOfTime = false) =>
        trials.All(t => t.Phase is TrialPhase.Completed or TrialPhase.Stopped or TrialPhase.Failed && t.ReplicatesRunning == 0)
        && Decide(plan, trials, trialCount, outOfTime).Count == 0;

    /// <summary>
    /// The search's choice: the best value among the trials that trained furthest, in steps (a full-budget result beats any
    /// partial one, in whichever Hyperband bracket — a bracket's rungs are numbered from its own smallest, so rung numbers
    /// do not compare across brackets); ties go to the earlier trial. Failed trials are never chosen. The orchestrator
    /// names the winner with it, the API and the dashboard the leader, the sweep bench's power simulation its choice.
    /// </summary>
    /// <param name="brackets">The plan's brackets (<see cref="SweepPlan.Brackets"/>): each one's rungs in steps.</param>
    public static TrialState? Winner(IReadOnlyList<IReadOnlyList<int>> brackets, IReadOnlyList<TrialState> states, bool maximise)
    {
        long Reached(TrialState s)
        {
            int k = s.Results.Keys.Max();
            return s.Bracket >= 0 && s.Bracket < brackets.Count && k < brackets[s.Bracket].Count ? brackets[s.Bracket][k] : k;
        }
        return states.Where(s => s.Results.Count > 0 && s.Phase != TrialPhase.Failed)
            .OrderByDescending(Reached)
            .ThenBy(s => maximise ? -s.Results[s.Results.Keys.Max()] : s.Results[s.Results.Keys.Max()])
            .ThenBy(s => s.Index)
            .FirstOrDefault();
    }

    /// <summary>
    /// The promotion a free slot takes: the highest rung (in steps) first, the best value first (ties: the earlier trial) — among a
    /// rung's top 1/η, and with a <paramref name="tolerance"/> above 0 also among the trials within it of the cut (the
    /// value of the last of the top 1/η). A candidate <paramref name="allowed"/> refuses is passed over, and the rung with it
    /// (every later one ranks below it).
    /// </summary>
    private static PromoteTrial? BestPromotion(SweepPlan plan, IReadOnlyList<TrialState> trials, HashSet<int> taken, bool maximise, double tolerance,
        Func<PromoteTrial, bool>? allowed = null)
    {
        PromoteTrial? best = null;
        int bestRung = -1; // in steps: Hyperband brackets number their rungs from their own smallest
        double bestValue = 0;
        foreach (var group in trials.GroupBy(t => t.Bracket))
        {
            var ladder = plan.Brackets[group.Key];
            for (int k = ladder.Count - 2; k >= 0; k--)
            {
                var atRung = group.Where(t => t.Phase != TrialPhase.Failed && t.Results.ContainsKey(k)).ToList();
                int top = atRung.Count / plan.Definition.Eta;
                if (top == 0) continue;
                var ordered = atRung.OrderBy(t => maximise ? -t.Results[k] : t.Results[k]).ThenBy(t => t.Index).ToList();
                double cut = ordered[top - 1].Results[k];
                // "Within the tolerance" allows for the last digit of a stored value (a float's rounding), never more.
                double slack = tolerance + 1e-9 * Math.Max(1, Math.Abs(cut));
                var ranked = tolerance > 0
                    ? ordered.Where((t, i) => i < top || (maximise ? t.Results[k] >= cut - slack : t.Results[k] <= cut + slack))
                    : ordered.Take(top);
                var candidate = ranked.FirstOrDefault(t => t.Phase == TrialPhase.Paused && t.TargetRung == k && !taken.Contains(t.Index));
                if (candidate is null) continue;
                var promotion = new PromoteTrial(candidate.Index, k, k + 1, ladder[k + 1], ordered.IndexOf(candidate) >= top);
                if (allowed is not null && !allowed(promotion)) continue;
                double value = candidate.Results[k];
                if (ladder[k] > bestRung || (ladder[k] == bestRung && (maximise ? value > bestValue : value < bestValue)))
                {
                    best = promotion;
                    bestRung = ladder[k];
                    bestValue = value;
                }
                break; // this bracket's highest promotable rung
            }
        }
        return best;
    }

    /// <summary>Steps a trial has trained or is committed to: its target rung's steps.</summary>
    private static int Steps(SweepPlan plan, TrialState t) =>
        t.Phase == TrialPhase.Failed ? t.Results.Keys.DefaultIfEmpty(-1).Max() is var k && k >= 0 ? plan.Brackets[t.Bracket][k] : 0
        : plan.Brackets[t.Bracket][t.TargetRung];

    private static int RungSteps(SweepPlan plan, TrialState t, int rung) => plan.Brackets[t.Bracket][rung];

    /// <summary>The trial trains towards (or reached) its bracket's last rung, the full budget.</summary>
    private static bool AtLast(SweepPlan plan, TrialState t) => ToLast(plan, t, t.TargetRung);

    private static bool ToLast(SweepPlan plan, TrialState t, int rung) => rung == plan.Brackets[t.Bracket].Count - 1;
}
