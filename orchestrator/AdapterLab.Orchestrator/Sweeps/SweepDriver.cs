using System.Text.Json;
using System.Text.Json.Nodes;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Sweeps;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Data.Experiments;
using AdapterLab.Orchestrator.Lifecycle;
using AdapterLab.Orchestrator.Scheduling;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Orchestrator.Sweeps;

/// <summary>
/// Runs every sweep from PostgreSQL: on a signal (a trial paused) and every couple of seconds, each running sweep is
/// locked (<c>SELECT … FOR UPDATE</c>: two orchestrators take turns), its trials read as <see cref="TrialState"/>s, and
/// the pure <see cref="AshaScheduler"/> decides — start a trial (an experiment through the shared
/// <see cref="QueuedExperiments"/>, pausing at its first rung), promote a paused one (Paused → Queued to its next rung;
/// the dispatcher resumes it from its rung checkpoint) or stop the paused ones once the search is over. Decisions are a
/// function of committed state and applied under the lock, so a redelivered rung report or a restarted orchestrator
/// promotes once. A user's stop cancels the running trials and stops the paused ones.
/// </summary>
public sealed class SweepDriver(
    IDbContextFactory<PlatformDbContext> dbFactory,
    SweepSignal signal,
    DispatchSignal dispatch,
    IBus bus,
    TimeProvider clock,
    ILogger<SweepDriver> log) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PassAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                log.LogWarning(ex, "Sweep pass failed; retrying");
            }
            await signal.WaitAsync(Interval, stoppingToken);
        }
    }

    /// <summary>Advances every running sweep once.</summary>
    public async Task PassAsync(CancellationToken ct)
    {
        List<Guid> running;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            running = await db.Sweeps.AsNoTracking().Where(s => s.Status == SweepStatuses.Running || s.Status == SweepStatuses.Confirming)
                .Select(s => s.Id).ToListAsync(ct);
        foreach (var id in running) await AdvanceAsync(id, ct);
    }

    /// <summary>One sweep's turn: read, decide, apply, all under the sweep row's lock.</summary>
    public async Task AdvanceAsync(Guid sweepId, CancellationToken ct)
    {
        var news = new List<ExperimentStatusChanged>();
        var cancels = new List<Guid>();
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var sweep = await db.Sweeps.FromSqlInterpolated($"SELECT * FROM sweeps WHERE id = {sweepId} FOR UPDATE").SingleOrDefaultAsync(ct);
            if (sweep is null || sweep.Status is not (SweepStatuses.Running or SweepStatuses.Confirming)) return;
            var now = clock.GetUtcNow();
            string actor = $"sweep:{sweep.Name}";
            // Trials queue in the sweep's project, at most at its priority ceiling.
            var ceiling = await db.Projects.Where(p => p.Id == sweep.ProjectId).Select(p => p.PriorityCeiling).SingleOrDefaultAsync(ct);

            SweepDefinition definition;
            SweepPlan plan;
            try
            {
                definition = SweepDefinition.Parse(sweep.DefinitionJson);
                plan = SweepPlan.From(definition);
            }
            catch (Exception ex) when (ex is JsonException or SweepDefinitionException)
            {
                // Accepted by an older version and refused by this one: end it with the reason rather than retry forever.
                End(sweep, SweepStatuses.Stopped, $"its definition is no longer valid: {ex.Message}", now);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                return;
            }

            var trials = await db.SweepTrials.Where(t => t.SweepId == sweepId).OrderBy(t => t.Index).ToListAsync(ct);
            var replicates = await db.SweepReplicates.Where(r => r.SweepId == sweepId).ToListAsync(ct);
            var ids = trials.Where(t => t.ExperimentId is not null).Select(t => t.ExperimentId!.Value).ToList();
            var replicateIds = replicates.Select(r => r.ExperimentId).ToList();
            var experiments = await db.Experiments.Where(e => ids.Contains(e.Id) || replicateIds.Contains(e.Id)).ToDictionaryAsync(e => e.Id, ct);
            var results = await db.SweepRungResults.Where(r => r.SweepId == sweepId).ToListAsync(ct);
            await RecordFinalRungsAsync(db, sweep, definition, plan, trials, experiments, results, now, ct);
            await RecordReplicatesAsync(db, definition, trials, replicates, experiments, now, ct);

            // The sweep's other experiments are the winner's fresh-seed confirmations.
            var confirmations = await db.Experiments.Where(e => e.SweepId == sweepId && !ids.Contains(e.Id) && !replicateIds.Contains(e.Id)).ToListAsync(ct);
            if (sweep.StopRequested)
            {
                cancels.AddRange(confirmations.Where(e => !e.Status.IsTerminal()).Select(e => e.Id));
                cancels.AddRange(replicates.Select(r => experiments[r.ExperimentId]).Where(e => !e.Status.IsTerminal()).Select(e => e.Id));
                foreach (var t in trials)
                {
                    if (t.ExperimentId is not { } id || !experiments.TryGetValue(id, out var e) || e.Status.IsTerminal()) continue;
                    if (e.Status == ExperimentStatus.Paused)
                    {
                        if (await StopAsync(db, e, actor, "the sweep was stopped", now, ct) is { } n) news.Add(n);
                    }
                    else cancels.Add(e.Id);
                }
                End(sweep, SweepStatuses.Stopped, sweep.Note ?? "stopped", now);
            }
            else if (sweep.Status == SweepStatuses.Confirming)
            {
                if (confirmations.All(e => e.Status.IsTerminal()))
                    End(sweep, SweepStatuses.Finished, $"{sweep.Note}; the winner trained with {confirmations.Count(e => e.Status == ExperimentStatus.Succeeded)} of {confirmations.Count} fresh seeds", now);
            }
            else
            {
                var states = trials.Select(t => State(t, plan, experiments, results, replicates)).ToList();
                var points = SearchSpace.Points(definition);
                bool outOfTime = definition.Budget.WallClock is { } wall && now - sweep.CreatedAt >= wall;
                var decisions = AshaScheduler.Decide(plan, states, points?.Count, outOfTime);
                foreach (var decision in decisions)
                {
                    switch (decision)
                    {
                        case StartTrial s:
                            var started = Start(db, sweep, definition, plan, points, s, actor, ceiling, now);
                            trials.Add(started);
                            break;
                        case PromoteTrial p when trials.Single(t => t.Index == p.Index) is { ExperimentId: { } pid } trial
                                                  && experiments[pid] is { Status: ExperimentStatus.Paused } paused:
                            trial.TargetRung = p.ToRung;
                            // The kind is kept on the rung it leaves (a promotion is decided from that rung's stored result).
                            results.Single(r => r.TrialIndex == p.Index && r.Rung == p.FromRung).Promotion =
                                p.WithinTolerance ? RungPromotions.Tolerance : RungPromotions.Top;
                            paused.PauseAtStep = p.Steps < plan.MaxSteps ? p.Steps : null;
                            if (ExperimentLifecycle.Transition(db, paused, ExperimentStatus.Queued, actor,
                                    $"promoted from rung {p.FromRung} to rung {p.ToRung} ({p.Steps} steps){(p.WithinTolerance ? $", within the promotion tolerance ({definition.PromotionTolerance.ToString(System.Globalization.CultureInfo.InvariantCulture)}) of the rung's cut" : "")}; resumes from its step-{paused.Step} checkpoint", now) is { } n)
                                news.Add(n);
                            break;
                        case StartReplicate r when trials.Single(t => t.Index == r.Index) is { ExperimentId: { } rid } replicated:
                            replicates.Add(Replicate(db, sweep, replicated, experiments[rid], r, definition.FinalRungSeeds, actor, ceiling, now));
                            break;
                        case StopTrial x when trials.Single(t => t.Index == x.Index) is { ExperimentId: { } sid } && experiments[sid] is { Status: ExperimentStatus.Paused } waiting:
                            if (await StopAsync(db, waiting, actor, "the search is over and it was not promoted", now, ct) is { } stopped) news.Add(stopped);
                            break;
                    }
                }
                if (decisions.Count == 0 && AshaScheduler.IsFinished(plan, states, points?.Count, outOfTime))
                {
                    string ended = Ended(definition, trials.Count, points?.Count, outOfTime, Spent(plan, states) + (long)replicates.Count(r => r.Value is not null) * plan.MaxSteps);
                    var winner = AshaScheduler.Winner(plan.Brackets, states, definition.Objective.Direction == "max");
                    sweep.WinnerTrialIndex = winner?.Index;
                    var winnerExperiment = winner is null ? null : trials.Single(t => t.Index == winner.Index).ExperimentId is { } wid ? experiments[wid] : null;
                    if (definition.ConfirmSeeds > 0 && winnerExperiment is not null)
                    {
                        Confirm(db, sweep, winnerExperiment, definition.ConfirmSeeds, experiments, actor, ceiling, now);
                        sweep.Status = SweepStatuses.Confirming;
                        sweep.Note = $"{ended}; winner: trial {winner!.Index}, confirming with {definition.ConfirmSeeds} fresh seeds";
                    }
                    else End(sweep, SweepStatuses.Finished, winner is null ? $"{ended}; no trial reported the objective" : $"{ended}; winner: trial {winner.Index}", now);
                }
                if (decisions.Count > 0)
                    log.LogInformation("Sweep {Sweep} ({SweepId}): {Decisions}", sweep.Name, sweep.Id, string.Join(", ", decisions));
            }
            sweep.UpdatedAt = now;
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        dispatch.Raise();
        foreach (var n in news) await bus.Publish(n, ct);
        foreach (var id in cancels) await bus.Publish(new CancelRequested { ExperimentId = id, Actor = "sweep stopped" }, ct);
    }

    /// <summary>A trial that trained to its bracket's last rung reports its objective in its final results: stored as that rung's result once.</summary>
    private static async Task RecordFinalRungsAsync(PlatformDbContext db, Sweep sweep, SweepDefinition definition, SweepPlan plan, List<SweepTrial> trials,
        Dictionary<Guid, Experiment> experiments, List<SweepRungResult> results, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var t in trials)
        {
            if (t.ExperimentId is not { } id || experiments[id].Status != ExperimentStatus.Succeeded || t.FailureReason is not null) continue;
            if (results.Any(r => r.TrialIndex == t.Index && r.Rung == t.TargetRung)) continue;
            var finals = await db.FinalResults.AsNoTracking().Where(r => r.ExperimentId == id)
                .Select(r => new FinalResult(r.Split, r.Task, r.Domain, r.Metric, r.Value)).ToListAsync(ct);
            var (value, problem) = definition.Objective.ValueIn(finals, experiments[id].SourceDomain);
            if (value is { } v)
            {
                var row = new SweepRungResult { SweepId = sweep.Id, TrialIndex = t.Index, Rung = t.TargetRung, Step = experiments[id].Step, Value = v, RecordedAt = now };
                db.SweepRungResults.Add(row);
                results.Add(row);
            }
            else t.FailureReason = $"the sweep's objective is missing from its final results: {problem}";
        }
    }

    /// <summary>
    /// A replicate (<c>finalRungSeeds</c>) that succeeded records its objective once; one that failed, was cancelled or
    /// did not report the objective fails its trial, once the trial's own run is over too (a configuration judged on
    /// fewer seeds than its rivals would not be judged alike).
    /// </summary>
    private static async Task RecordReplicatesAsync(PlatformDbContext db, SweepDefinition definition, List<SweepTrial> trials, List<SweepReplicate> replicates,
        Dictionary<Guid, Experiment> experiments, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var r in replicates.Where(r => r.Value is null))
        {
            var e = experiments[r.ExperimentId];
            var trial = trials.Single(t => t.Index == r.TrialIndex);
            if (!e.Status.IsTerminal() || trial.FailureReason is not null) continue;
            string? problem = null;
            if (e.Status == ExperimentStatus.Succeeded)
            {
                var finals = await db.FinalResults.AsNoTracking().Where(f => f.ExperimentId == e.Id)
                    .Select(f => new FinalResult(f.Split, f.Task, f.Domain, f.Metric, f.Value)).ToListAsync(ct);
                (var value, problem) = definition.Objective.ValueIn(finals, e.SourceDomain);
                if (value is { } v)
                {
                    r.Value = v;
                    r.RecordedAt = now;
                    continue;
                }
            }
            else problem = $"{e.Status}{(e.FailureReason is { } why ? $": {why}" : "")}";
            if (trial.ExperimentId is { } own && experiments[own].Status.IsTerminal())
                trial.FailureReason = $"its replicate with seed {r.Seed} gave no objective: {problem}";
        }
    }

    /// <summary>Replicate <see cref="StartReplicate.Replicate"/> of a trial: its spec with the next seed, straight through the full budget.</summary>
    private static SweepReplicate Replicate(PlatformDbContext db, Sweep sweep, SweepTrial trial, Experiment of, StartReplicate r, int seeds, string actor, int? ceiling, DateTimeOffset now)
    {
        var spec = Contracts.Specs.SpecJson.Deserialize(of.SpecJson);
        int seed = SweepTrials.ReplicateSeed(spec.Training.Seed, r.Replicate);
        var replicate = spec with { Name = $"{spec.Name}-s{seed}", Training = spec.Training with { Seed = seed } };
        var e = QueuedExperiments.From(replicate, sweep.Owner, sweep.OwnerId, sweep.ProjectId, ceiling, now);
        e.SweepId = sweep.Id;
        QueuedExperiments.Add(db, e, actor, $"replicate {r.Replicate} of trial {trial.Index} of sweep {sweep.Name} (seed {seed}): the trial's last rung is judged on the mean of {seeds} seeds", now);
        var row = new SweepReplicate { SweepId = sweep.Id, TrialIndex = trial.Index, Replicate = r.Replicate, ExperimentId = e.Id, Seed = seed, CreatedAt = now };
        db.SweepReplicates.Add(row);
        return row;
    }

    private static SweepTrial Start(PlatformDbContext db, Sweep sweep, SweepDefinition definition, SweepPlan plan,
        IReadOnlyList<IReadOnlyDictionary<string, JsonNode?>>? points, StartTrial s, string actor, int? ceiling, DateTimeOffset now)
    {
        var values = SweepTrials.Values(definition, s.Index, points);
        var trial = new SweepTrial { SweepId = sweep.Id, Index = s.Index, Bracket = s.Bracket, TargetRung = 0, ValuesJson = SweepTrials.ValuesJson(values), CreatedAt = now };
        var (spec, errors) = SweepTrials.Spec(definition, values, s.Index, sweep.AllowDryRun);
        if (spec is null)
            trial.FailureReason = $"its spec is invalid: {SweepTrials.Describe(errors)}";
        else
        {
            var e = QueuedExperiments.From(spec, sweep.Owner, sweep.OwnerId, sweep.ProjectId, ceiling, now);
            e.SweepId = sweep.Id;
            e.PauseAtStep = s.Steps < plan.MaxSteps ? s.Steps : null;
            QueuedExperiments.Add(db, e, actor, $"trial {s.Index} of sweep {sweep.Name}, bracket {s.Bracket}: first rung at {s.Steps} steps", now);
            trial.ExperimentId = e.Id;
        }
        db.SweepTrials.Add(trial);
        return trial;
    }

    /// <summary>
    /// The winner's spec again, at the full budget, with <paramref name="seeds"/> seeds no trial used
    /// (<see cref="ConfirmationSeeds"/>): its test result over fresh seeds is free of the search's selection (the sweep
    /// page reports it with its interval).
    /// </summary>
    private static void Confirm(PlatformDbContext db, Sweep sweep, Experiment winner, int seeds, Dictionary<Guid, Experiment> experiments,
        string actor, int? ceiling, DateTimeOffset now)
    {
        var spec = Contracts.Specs.SpecJson.Deserialize(winner.SpecJson);
        foreach (int seed in ConfirmationSeeds.For(experiments.Values.Select(e => e.Seed), seeds))
        {
            var fresh = spec with { Name = $"{sweep.Name}-winner-s{seed}", Training = spec.Training with { Seed = seed } };
            var e = QueuedExperiments.From(fresh, sweep.Owner, sweep.OwnerId, sweep.ProjectId, ceiling, now);
            e.SweepId = sweep.Id;
            QueuedExperiments.Add(db, e, actor, $"confirms sweep {sweep.Name}'s winner with a fresh seed ({seed})", now);
        }
    }

    /// <summary>
    /// A paused trial the search will not promote: Stopped (terminal), and its rung checkpoint released — the row dropped
    /// here, the pin by the next collection, the bytes with them (nothing resumes a stopped trial).
    /// </summary>
    private static async Task<ExperimentStatusChanged?> StopAsync(PlatformDbContext db, Experiment e, string actor, string reason, DateTimeOffset now, CancellationToken ct)
    {
        e.PauseAtStep = null;
        await db.Checkpoints.Where(c => c.ExperimentId == e.Id && c.Kind == "resume").ExecuteDeleteAsync(ct);
        return ExperimentLifecycle.Transition(db, e, ExperimentStatus.Stopped, actor, reason, now);
    }

    /// <summary>
    /// The trial as the scheduler sees it: with replicates, its last rung's value is the mean over its own run and every
    /// replicate, present once all reported (<see cref="SweepTrials.FinalRungValue"/>).
    /// </summary>
    private static TrialState State(SweepTrial t, SweepPlan plan, Dictionary<Guid, Experiment> experiments, List<SweepRungResult> results, List<SweepReplicate> replicates)
    {
        var values = results.Where(r => r.TrialIndex == t.Index).ToDictionary(r => r.Rung, r => r.Value);
        var own = replicates.Where(r => r.TrialIndex == t.Index).ToList();
        int last = plan.Brackets[t.Bracket].Count - 1;
        if (values.TryGetValue(last, out var ownFinal))
        {
            if (SweepTrials.FinalRungValue(plan.Definition.FinalRungSeeds, ownFinal, own.Select(r => r.Value).ToList()) is { } mean) values[last] = mean;
            else values.Remove(last);
        }
        int replicatesRunning = own.Count(r => !experiments[r.ExperimentId].Status.IsTerminal());
        var phase = t.FailureReason is not null || t.ExperimentId is not { } id ? TrialPhase.Failed : experiments[id].Status switch
        {
            ExperimentStatus.Paused => TrialPhase.Paused,
            ExperimentStatus.Succeeded => TrialPhase.Completed,
            ExperimentStatus.Stopped => TrialPhase.Stopped,
            ExperimentStatus.Failed or ExperimentStatus.Cancelled => TrialPhase.Failed,
            _ => TrialPhase.Running,
        };
        return new TrialState(t.Index, t.Bracket, t.TargetRung, values, phase, own.Count, replicatesRunning);
    }

    /// <summary>Training steps the sweep has spent or committed (a promoted trial counts only the steps it trains).</summary>
    private static long Spent(SweepPlan plan, IReadOnlyList<TrialState> states) =>
        states.Sum(s => s.Results.Keys.DefaultIfEmpty(-1).Max() is var k && k >= 0 ? (long)plan.Brackets[s.Bracket][k] : 0);

    private static string Ended(SweepDefinition d, int trials, int? points, bool outOfTime, long steps) =>
        outOfTime ? $"wall-clock budget ({d.Budget.WallClock}) spent; {trials} trials, {steps:N0} steps"
        : points is { } n && trials >= n ? $"every configuration of the space ran{(d.Algorithm == SweepAlgorithms.Grid ? "" : " (each once)")}; {trials} trials, {steps:N0} steps"
        : d.Budget.MaxTrials is { } max && trials >= max ? $"trial budget ({max}) spent; {steps:N0} steps"
        : $"step budget spent: {steps:N0} of {d.Budget.TotalSteps:N0} steps; {trials} trials";

    private static void End(Sweep sweep, string status, string note, DateTimeOffset now)
    {
        sweep.Status = status;
        sweep.Note = note;
        sweep.FinishedAt = now;
        sweep.UpdatedAt = now;
    }
}
