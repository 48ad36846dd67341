using System.Text.Json;
using AdapterLab.Contracts.Sweeps;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Sweeps;

/// <summary>A sweep in lists: what it searches, how far it is and its best objective so far.</summary>
public sealed record SweepSummary(Guid Id, string Name, string Algorithm, string Status, string Objective, int Trials, int Running, int Paused,
    double? Best, long StepsTrained, string? Owner, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, string? Note);

/// <summary>One trial: its configuration, where it is, and its objective at every rung it reached.</summary>
public sealed record TrialView(int Index, Guid? ExperimentId, string Status, int Bracket, int TargetRung, long Step,
    IReadOnlyDictionary<string, JsonElement> Values, IReadOnlyDictionary<int, double> Rungs, string? Reason);

/// <summary>One point of best-so-far against compute: after <see cref="Steps"/> steps trained in all, the best final-rung value (null: none yet) and the best at any rung.</summary>
public sealed record BestSoFarPoint(long Steps, DateTimeOffset At, double? BestFinal, double BestAnyRung);

/// <summary>A sweep in full: its definition and plan, every trial, the rung ladder and best-so-far against compute spent.</summary>
public sealed record SweepDetails(SweepSummary Summary, JsonElement Definition, IReadOnlyList<IReadOnlyList<int>> Brackets, string Direction,
    IReadOnlyList<TrialView> Trials, IReadOnlyList<BestSoFarPoint> BestSoFar, TrialView? Leader, bool StopRequested);

/// <summary>Reads sweeps for the API and the dashboard (one query set for both).</summary>
public static class SweepViews
{
    public static async Task<List<SweepSummary>> ListAsync(PlatformDbContext db, CancellationToken ct, int limit = 100)
    {
        var sweeps = await db.Sweeps.AsNoTracking().OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id).Take(limit).ToListAsync(ct);
        var list = new List<SweepSummary>(sweeps.Count);
        foreach (var s in sweeps) list.Add((await LoadAsync(db, s, ct)).Summary);
        return list;
    }

    public static async Task<SweepDetails?> GetAsync(PlatformDbContext db, Guid id, CancellationToken ct) =>
        await db.Sweeps.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct) is { } s ? await LoadAsync(db, s, ct) : null;

    private static async Task<SweepDetails> LoadAsync(PlatformDbContext db, Sweep sweep, CancellationToken ct)
    {
        var definition = SweepDefinition.Parse(sweep.DefinitionJson);
        IReadOnlyList<IReadOnlyList<int>> brackets;
        try { brackets = SweepPlan.From(definition).Brackets; }
        catch (SweepDefinitionException) { brackets = []; }
        bool max = definition.Objective.Direction == "max";

        var trials = await db.SweepTrials.AsNoTracking().Where(t => t.SweepId == sweep.Id).OrderBy(t => t.Index).ToListAsync(ct);
        var ids = trials.Where(t => t.ExperimentId is not null).Select(t => t.ExperimentId!.Value).ToList();
        var experiments = await db.Experiments.AsNoTracking().Where(e => ids.Contains(e.Id))
            .Select(e => new { e.Id, e.Status, e.Step, e.FailureReason }).ToDictionaryAsync(e => e.Id, ct);
        var results = await db.SweepRungResults.AsNoTracking().Where(r => r.SweepId == sweep.Id).OrderBy(r => r.RecordedAt).ThenBy(r => r.TrialIndex).ToListAsync(ct);

        var views = trials.Select(t =>
        {
            var e = t.ExperimentId is { } id && experiments.TryGetValue(id, out var x) ? x : null;
            return new TrialView(t.Index, t.ExperimentId, t.FailureReason is not null ? "Failed" : e?.Status.ToString() ?? "Failed", t.Bracket, t.TargetRung, e?.Step ?? 0,
                JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(t.ValuesJson) ?? [],
                results.Where(r => r.TrialIndex == t.Index).ToDictionary(r => r.Rung, r => r.Value),
                t.FailureReason ?? e?.FailureReason);
        }).ToList();

        // Best so far against compute: each rung result adds the steps that trial trained since its previous rung.
        var lastStep = new Dictionary<int, long>();
        var series = new List<BestSoFarPoint>();
        long spent = 0;
        double? bestFinal = null, bestAny = null;
        foreach (var r in results)
        {
            spent += r.Step - lastStep.GetValueOrDefault(r.TrialIndex);
            lastStep[r.TrialIndex] = r.Step;
            bestAny = bestAny is { } a ? (max ? Math.Max(a, r.Value) : Math.Min(a, r.Value)) : r.Value;
            var trial = trials.First(t => t.Index == r.TrialIndex);
            bool final = brackets.Count > trial.Bracket && r.Rung == brackets[trial.Bracket].Count - 1;
            if (final) bestFinal = bestFinal is { } f ? (max ? Math.Max(f, r.Value) : Math.Min(f, r.Value)) : r.Value;
            series.Add(new BestSoFarPoint(spent, r.RecordedAt, bestFinal, bestAny.Value));
        }

        // The leader: the best value at the highest rung any trial reached (a full-budget result beats any partial one).
        var leader = views.Where(v => v.Rungs.Count > 0)
            .OrderByDescending(v => v.Rungs.Keys.Max())
            .ThenBy(v => max ? -v.Rungs[v.Rungs.Keys.Max()] : v.Rungs[v.Rungs.Keys.Max()])
            .FirstOrDefault();
        long stepsTrained = views.Sum(v => v.Step);
        var summary = new SweepSummary(sweep.Id, sweep.Name, definition.Algorithm, sweep.Status,
            $"{definition.Objective.Direction} {definition.Objective.Split} {definition.Objective.Metric}", views.Count,
            views.Count(v => v.Status is "Queued" or "Dispatched" or "Running" or "Lost"), views.Count(v => v.Status == "Paused"),
            leader is null ? null : leader.Rungs[leader.Rungs.Keys.Max()], stepsTrained, sweep.Owner, sweep.CreatedAt, sweep.FinishedAt, sweep.Note);
        return new SweepDetails(summary, JsonSerializer.SerializeToElement(definition, SweepDefinition.Json), brackets, definition.Objective.Direction,
            views, series, leader, sweep.StopRequested);
    }
}
