using System.Text.Json;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Sweeps;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Sweeps;

/// <summary>A sweep in lists: what it searches, how far it is and its best objective so far.</summary>
public sealed record SweepSummary(Guid Id, string Name, string Algorithm, string Status, string Objective, int Trials, int Running, int Paused,
    double? Best, long StepsTrained, string? Owner, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, string? Note);

/// <summary>
/// One trial: its configuration, where it is, its objective at every rung it reached, and how it was promoted from each
/// rung it left (<c>top</c>: among the rung's top 1/η; <c>tolerance</c>: within the sweep's promotion tolerance of the cut).
/// With <c>finalRungSeeds</c> above 1, its last rung's value in <see cref="Rungs"/> is the mean the search judged it on,
/// present once every seed reported, and <see cref="FinalSeeds"/> lists those seeds' runs (its own first).
/// </summary>
public sealed record TrialView(int Index, Guid? ExperimentId, string Status, int Bracket, int TargetRung, long Step,
    IReadOnlyDictionary<string, JsonElement> Values, IReadOnlyDictionary<int, double> Rungs, string? Reason,
    IReadOnlyDictionary<int, string> Promotions, IReadOnlyList<SeedRun>? FinalSeeds = null);

/// <summary>One run a trial's last rung is judged on: the trial's own (<see cref="Replicate"/> 0) or a replicate with the next seed.</summary>
public sealed record SeedRun(int Replicate, int Seed, Guid? ExperimentId, string Status, double? Value);

/// <summary>One point of best-so-far against compute: after <see cref="Steps"/> steps trained in all, the best final-rung value (null: none yet) and the best at any rung.</summary>
public sealed record BestSoFarPoint(long Steps, DateTimeOffset At, double? BestFinal, double BestAnyRung);

/// <summary>One fresh-seed run of the winner.</summary>
public sealed record ConfirmationRun(Guid ExperimentId, int Seed, string Status, double? Test);

/// <summary>
/// The winner trained again with fresh seeds: its test objective with the 95 % interval (seeds × test examples where the
/// runs stored predictions), the floor on the same examples, and the verdict in words.
/// </summary>
public sealed record ConfirmationView(int WinnerIndex, string Metric, string Task, string Domain, IReadOnlyList<ConfirmationRun> Runs,
    double? Mean, double? Lower, double? Upper, string? IntervalMethod, string? SampleSize, double? Floor, string? FloorName, bool AtFloor, bool IdenticalSeeds, string Verdict);

/// <summary>One trial's curve of a metric over its steps (across every attempt and rung it trained).</summary>
public sealed record TrialCurve(int Index, Guid ExperimentId, string Status, int Bracket, IReadOnlyList<CurvePoint> Points);

/// <summary>A point of a curve.</summary>
public sealed record CurvePoint(long Step, double Value);

/// <summary>Every trial's curve of one metric: at most about <see cref="SweepViews.CurvePoints"/> points per trial (every k-th step, rung steps always kept).</summary>
public sealed record SweepCurves(string Metric, string Split, IReadOnlyList<IReadOnlyList<int>> Brackets, IReadOnlyList<TrialCurve> Trials);

/// <summary>A sweep in full: its definition and plan, every trial, the rung ladder, best-so-far against compute spent and the winner's confirmation.</summary>
public sealed record SweepDetails(SweepSummary Summary, JsonElement Definition, IReadOnlyList<IReadOnlyList<int>> Brackets, string Direction,
    IReadOnlyList<TrialView> Trials, IReadOnlyList<BestSoFarPoint> BestSoFar, TrialView? Leader, bool StopRequested, ConfirmationView? Confirmation = null);

/// <summary>Reads sweeps for the API and the dashboard (one query set for both).</summary>
public static class SweepViews
{
    /// <summary>The newest sweeps of the projects in <paramref name="projects"/>.</summary>
    public static async Task<List<SweepSummary>> ListAsync(PlatformDbContext db, Projects.ProjectScope projects, CancellationToken ct, int limit = 100)
    {
        var ids = projects.Ids?.ToArray();
        var sweeps = await db.Sweeps.AsNoTracking().Where(s => ids == null || ids.Contains(s.ProjectId)).OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id).Take(limit).ToListAsync(ct);
        var list = new List<SweepSummary>(sweeps.Count);
        // A list row needs the summary only: not the winner's confirmation, whose interval reads its runs' predictions.
        foreach (var s in sweeps) list.Add((await LoadAsync(db, s, ct, withConfirmation: false)).Summary);
        return list;
    }

    /// <summary>Points per trial a curve keeps at most (plus its rung steps): a sweep page draws every trial.</summary>
    public const int CurvePoints = 200;

    /// <summary>
    /// Every trial's curve of <paramref name="metric"/> on <paramref name="split"/> (the training loss by default): promoted
    /// trials continue their curve across rungs (a resume, not a restart), so a reader sees where each was paused, stopped
    /// or promoted. Thinned in the database to every k-th step (k from the trial budget), rung steps always kept.
    /// </summary>
    public static async Task<SweepCurves?> CurvesAsync(PlatformDbContext db, Guid id, string metric, string split, CancellationToken ct)
    {
        var sweep = await db.Sweeps.AsNoTracking().Where(s => s.Id == id).Select(s => new { s.DefinitionJson }).SingleOrDefaultAsync(ct);
        if (sweep is null) return null;
        IReadOnlyList<IReadOnlyList<int>> brackets;
        int maxSteps;
        try
        {
            var plan = SweepPlan.From(SweepDefinition.Parse(sweep.DefinitionJson));
            (brackets, maxSteps) = (plan.Brackets, plan.MaxSteps);
        }
        catch (SweepDefinitionException) { (brackets, maxSteps) = ([], 1); }
        long every = Math.Max(1, (maxSteps + CurvePoints - 1) / CurvePoints);
        var rungSteps = brackets.SelectMany(b => b).Select(r => (long)r).Distinct().ToArray();

        var trials = await db.SweepTrials.AsNoTracking().Where(t => t.SweepId == id && t.ExperimentId != null).OrderBy(t => t.Index)
            .Select(t => new { t.Index, ExperimentId = t.ExperimentId!.Value, t.Bracket, t.FailureReason }).ToListAsync(ct);
        var ids = trials.Select(t => t.ExperimentId).ToList();
        var statuses = await db.Experiments.AsNoTracking().Where(e => ids.Contains(e.Id)).Select(e => new { e.Id, e.Status }).ToDictionaryAsync(e => e.Id, e => e.Status, ct);
        // A metric may be reported per task and domain: one curve per trial, the first task/domain in name order.
        var points = await db.MetricPoints.AsNoTracking()
            .Where(m => ids.Contains(m.ExperimentId) && m.Name == metric && m.Split == split && (m.Step % every == 0 || rungSteps.Contains(m.Step)))
            .OrderBy(m => m.ExperimentId).ThenBy(m => m.Task).ThenBy(m => m.Domain).ThenBy(m => m.Step)
            .Select(m => new { m.ExperimentId, m.Task, m.Domain, m.Step, m.Value }).ToListAsync(ct);
        var byTrial = points.GroupBy(p => p.ExperimentId).ToDictionary(g => g.Key, g =>
        {
            var first = g.First();
            return (IReadOnlyList<CurvePoint>)g.Where(p => p.Task == first.Task && p.Domain == first.Domain).Select(p => new CurvePoint(p.Step, p.Value)).ToList();
        });
        return new SweepCurves(metric, split, brackets, trials.Select(t => new TrialCurve(t.Index, t.ExperimentId,
            t.FailureReason is not null ? "Failed" : statuses.TryGetValue(t.ExperimentId, out var st) ? st.ToString() : "Failed", t.Bracket,
            byTrial.GetValueOrDefault(t.ExperimentId) ?? [])).ToList());
    }

    public static async Task<SweepDetails?> GetAsync(PlatformDbContext db, Guid id, CancellationToken ct) =>
        await db.Sweeps.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct) is { } s ? await LoadAsync(db, s, ct) : null;

    private static async Task<SweepDetails> LoadAsync(PlatformDbContext db, Sweep sweep, CancellationToken ct, bool withConfirmation = true)
    {
        var definition = SweepDefinition.Parse(sweep.DefinitionJson);
        IReadOnlyList<IReadOnlyList<int>> brackets;
        try { brackets = SweepPlan.From(definition).Brackets; }
        catch (SweepDefinitionException) { brackets = []; }
        bool max = definition.Objective.Direction == "max";

        var trials = await db.SweepTrials.AsNoTracking().Where(t => t.SweepId == sweep.Id).OrderBy(t => t.Index).ToListAsync(ct);
        var replicates = await db.SweepReplicates.AsNoTracking().Where(r => r.SweepId == sweep.Id).OrderBy(r => r.TrialIndex).ThenBy(r => r.Replicate).ToListAsync(ct);
        var ids = trials.Where(t => t.ExperimentId is not null).Select(t => t.ExperimentId!.Value).ToList();
        var replicateIds = replicates.Select(r => r.ExperimentId).ToList();
        var experiments = await db.Experiments.AsNoTracking().Where(e => ids.Contains(e.Id) || replicateIds.Contains(e.Id))
            .Select(e => new { e.Id, e.Status, e.Step, e.Seed, e.FailureReason }).ToDictionaryAsync(e => e.Id, ct);
        var results = await db.SweepRungResults.AsNoTracking().Where(r => r.SweepId == sweep.Id).OrderBy(r => r.RecordedAt).ThenBy(r => r.TrialIndex).ToListAsync(ct);
        int seeds = definition.FinalRungSeeds;
        bool Last(SweepTrial t, int rung) => brackets.Count > t.Bracket && rung == brackets[t.Bracket].Count - 1;
        // Each trial's own result at its last rung, and its replicates (finalRungSeeds): the last rung is judged on the
        // mean of its seeds, known once the last of them reported.
        var ownLast = results.Where(r => Last(trials.First(t => t.Index == r.TrialIndex), r.Rung)).ToDictionary(r => r.TrialIndex);
        var replicatesOf = replicates.ToLookup(r => r.TrialIndex);
        var finals = new Dictionary<int, (double Mean, DateTimeOffset At)>();
        foreach (var (index, own) in ownLast)
            if (SweepTrials.FinalRungValue(seeds, own.Value, replicatesOf[index].Select(r => r.Value).ToList()) is { } mean)
                finals[index] = (mean, replicatesOf[index].Select(r => r.RecordedAt!.Value).Append(own.RecordedAt).Max());

        var views = trials.Select(t =>
        {
            var e = t.ExperimentId is { } id && experiments.TryGetValue(id, out var x) ? x : null;
            var rungs = results.Where(r => r.TrialIndex == t.Index && !Last(t, r.Rung)).ToDictionary(r => r.Rung, r => r.Value);
            if (finals.TryGetValue(t.Index, out var final)) rungs[brackets[t.Bracket].Count - 1] = final.Mean;
            // A trial bound for the last rung lists the seeds it is judged on there.
            IReadOnlyList<SeedRun>? finalSeeds = seeds <= 1 || !Last(t, t.TargetRung) ? null :
            [
                new SeedRun(0, e?.Seed ?? 0, t.ExperimentId, e?.Status.ToString() ?? "Failed", ownLast.GetValueOrDefault(t.Index)?.Value),
                .. replicatesOf[t.Index].Select(r => new SeedRun(r.Replicate, r.Seed, r.ExperimentId, experiments.TryGetValue(r.ExperimentId, out var re) ? re.Status.ToString() : "Failed", r.Value)),
            ];
            return new TrialView(t.Index, t.ExperimentId, t.FailureReason is not null ? "Failed" : e?.Status.ToString() ?? "Failed", t.Bracket, t.TargetRung, e?.Step ?? 0,
                JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(t.ValuesJson) ?? [],
                rungs,
                t.FailureReason ?? e?.FailureReason,
                results.Where(r => r.TrialIndex == t.Index && r.Promotion is not null).ToDictionary(r => r.Rung, r => r.Promotion!),
                finalSeeds);
        }).ToList();

        // Best so far against compute: each rung result adds the steps that trial trained since its previous rung, each
        // replicate's result the full budget it trained; a last rung counts once its mean is known.
        var events = results.Select(r => (At: r.RecordedAt, Trial: r.TrialIndex, Rung: (int?)r.Rung, r.Step, r.Value))
            .Concat(replicates.Where(r => r.Value is not null && r.RecordedAt is not null)
                .Select(r => (At: r.RecordedAt!.Value, Trial: r.TrialIndex, Rung: (int?)null, Step: experiments.TryGetValue(r.ExperimentId, out var re) ? re.Step : 0, Value: r.Value!.Value)))
            .OrderBy(x => x.At).ThenBy(x => x.Trial).ThenBy(x => x.Rung is null).ToList();
        var lastStep = new Dictionary<int, long>();
        var series = new List<BestSoFarPoint>();
        long spent = 0;
        double? bestFinal = null, bestAny = null;
        double Better(double? a, double b) => a is { } x ? (max ? Math.Max(x, b) : Math.Min(x, b)) : b;
        foreach (var r in events)
        {
            var trial = trials.First(t => t.Index == r.Trial);
            if (r.Rung is not null)
            {
                spent += r.Step - lastStep.GetValueOrDefault(r.Trial);
                lastStep[r.Trial] = r.Step;
            }
            else spent += r.Step;
            bool final = r.Rung is null || Last(trial, r.Rung.Value);
            double? value = !final ? r.Value : finals.TryGetValue(r.Trial, out var f) && f.At <= r.At ? f.Mean : null;
            if (value is { } v)
            {
                bestAny = Better(bestAny, v);
                if (final) bestFinal = Better(bestFinal, v);
            }
            if (bestAny is { } any) series.Add(new BestSoFarPoint(spent, r.At, bestFinal, any));
        }

        // The leader: the orchestrator's rule for the winner (the best value among the trials that trained furthest).
        var leaderState = AshaScheduler.Winner(brackets, views.Select(v => new TrialState(v.Index, v.Bracket, v.TargetRung, v.Rungs,
            v.Status is "Failed" or "Cancelled" ? TrialPhase.Failed : TrialPhase.Completed)).ToList(), max);
        var leader = leaderState is null ? null : views.Single(v => v.Index == leaderState.Index);
        var replicateRuns = replicateIds.Where(experiments.ContainsKey).Select(id => experiments[id]).ToList();
        long stepsTrained = views.Sum(v => v.Step) + replicateRuns.Sum(e => e.Step);
        static bool Active(string status) => status is "Queued" or "Dispatched" or "Running" or "Lost";
        var summary = new SweepSummary(sweep.Id, sweep.Name, definition.Algorithm, sweep.Status,
            $"{definition.Objective.Direction} {definition.Objective.Split} {definition.Objective.Metric}", views.Count,
            views.Count(v => Active(v.Status)) + replicateRuns.Count(e => Active(e.Status.ToString())), views.Count(v => v.Status == "Paused"),
            leader is null ? null : leader.Rungs[leader.Rungs.Keys.Max()], stepsTrained, sweep.Owner, sweep.CreatedAt, sweep.FinishedAt, sweep.Note);
        var confirmation = withConfirmation && sweep.WinnerTrialIndex is { } w && definition.ConfirmSeeds > 0
            ? await ConfirmationAsync(db, sweep.Id, w, [.. ids, .. replicateIds], definition.Objective, ct) : null;
        return new SweepDetails(summary, JsonSerializer.SerializeToElement(definition, SweepDefinition.Json), brackets, definition.Objective.Direction,
            views, series, leader, sweep.StopRequested, confirmation);
    }

    /// <summary>The winner's fresh-seed runs (the sweep's experiments that are neither trials nor their replicates) and their test objective with its interval.</summary>
    private static async Task<ConfirmationView> ConfirmationAsync(PlatformDbContext db, Guid sweepId, int winner, List<Guid> trialIds, SweepObjective objective, CancellationToken ct)
    {
        var runs = await db.Experiments.AsNoTracking().Where(e => e.SweepId == sweepId && !trialIds.Contains(e.Id)).OrderBy(e => e.Seed)
            .Select(e => new { e.Id, e.Seed, e.Status, e.SourceDomain }).ToListAsync(ct);
        var succeeded = runs.Where(r => r.Status == Contracts.Lifecycle.ExperimentStatus.Succeeded).Select(r => r.Id).ToList();
        var finals = await db.FinalResults.AsNoTracking().Where(r => succeeded.Contains(r.ExperimentId) && r.Split == "test" && r.Metric == objective.Metric)
            .ToListAsync(ct);
        string domain = objective.Domain ?? runs.FirstOrDefault()?.SourceDomain ?? "";
        string task = objective.Task ?? finals.FirstOrDefault(f => f.Domain == domain)?.Task ?? "classification";
        double? Test(Guid id) => finals.FirstOrDefault(f => f.ExperimentId == id && f.Task == task && f.Domain == domain)?.Value;
        var views = runs.Select(r => new ConfirmationRun(r.Id, r.Seed, r.Status.ToString(), Test(r.Id))).ToList();
        var values = views.Where(v => v.Test is not null).Select(v => v.Test!.Value).ToList();
        if (values.Count == 0)
            return new ConfirmationView(winner, objective.Metric, task, domain, views, null, null, null, null, null, null, null, false, false,
                runs.All(r => r.Status.IsTerminal()) ? "no fresh-seed run reported the test objective: nothing to confirm" : "the fresh-seed runs are still training");

        var blobs = await Data.Predictions.StoredPredictions.LatestBlobsAsync(db, succeeded, ct);
        var files = new List<Contracts.Predictions.PredictionsFile?>();
        foreach (var id in succeeded.Where(id => Test(id) is not null))
            files.Add(blobs.TryGetValue(id, out var hash) ? (await Data.Predictions.StoredPredictions.ReadAsync(db, hash, ct)).File : null);
        double mean = values.Average();
        var e = Data.Predictions.RunSetEstimate.Of(values, files, task, domain, objective.Metric, mean);
        string interval = e.Estimate.HasInterval ? $" [{e.Estimate.Lower:0.###}, {e.Estimate.Upper:0.###}]" : " (no interval: one run without stored predictions)";
        string verdict = $"test {objective.Metric} {mean:0.###}{interval}, {e.Estimate.SampleSize}"
            + (e.Floor is { } f ? e.AtFloor ? $"; not above the {e.FloorName} floor {f:0.###} — the search found nothing the floor does not" : $"; above the {e.FloorName} floor {f:0.###}" : "")
            + (e.IdenticalSeeds ? "; identical results across seeds — a bug to explain, not a precise result" : "");
        return new ConfirmationView(winner, objective.Metric, task, domain, views, mean,
            e.Estimate.HasInterval ? e.Estimate.Lower : null, e.Estimate.HasInterval ? e.Estimate.Upper : null, e.Estimate.Method.ToString(),
            e.Estimate.SampleSize, e.Floor, e.FloorName, e.AtFloor, e.IdenticalSeeds, verdict);
    }
}
