using System.Text.Json;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Specs;
using AdapterLab.Contracts.Suites;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Web.Auth;
using AdapterLab.Web.Experiments;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AdapterLab.Web.Suites;

/// <summary>What a trigger asked for.</summary>
/// <param name="Trigger"><c>api</c>, <c>schedule</c> or <c>dashboard</c>.</param>
/// <param name="Trim">Drop experiments (from the end) until the estimate fits the window, instead of refusing.</param>
/// <param name="By">Who triggers; a scheduled run acts as the suite's owner.</param>
/// <param name="Access">What the person triggering may do (null for the schedule, which acts for the suite's owner).</param>
public sealed record SuiteLaunch(string Suite, string Trigger, Actor By, string? IdempotencyKey = null, bool Trim = false, Projects.ProjectAccess? Access = null);

/// <summary>How a trigger ended: a new run, the run an earlier request with the same key made, a skip, or a refusal.</summary>
public sealed record SuiteLaunchResult(LaunchOutcome Outcome, SuiteRun? Run = null, string? Detail = null,
    SuiteCostEstimate? Estimate = null, IReadOnlyDictionary<string, string[]>? Errors = null, Guid? ActiveRunId = null);

public enum LaunchOutcome { Started, Existing, Skipped, NotFound, Invalid, DoesNotFit, Forbidden }

/// <summary>
/// Starts a suite run: expands the definition, reuses backbones the suite's pretrains already registered, estimates the
/// cost against the window on the available agents, records the run (one active run per suite, idempotency key unique per
/// suite), submits every experiment through <see cref="ExperimentSubmission"/> tagged with the run and starts its sweeps
/// through <see cref="Sweeps.SweepCatalogue"/> (the sweep pipeline: planned, first trials checked). Returns at once;
/// <see cref="SuiteRunTracker"/> follows the run to its end.
/// </summary>
public sealed class SuiteRunLauncher(
    IDbContextFactory<PlatformDbContext> dbFactory, ExperimentSubmission submission, Sweeps.SweepCatalogue sweeps, TimeProvider clock, ILogger<SuiteRunLauncher> log)
{
    /// <summary>The per-suite rate of scheduled runs (API and dashboard triggers have their per-caller rate).</summary>
    public static readonly TimeSpan MinScheduledInterval = TimeSpan.FromMinutes(10);

    private static string Timestamps(DateTimeOffset at) => Dashboard.Timestamps.Show(at);

    /// <summary>An agent counts as available when it announced itself this recently.</summary>
    public static readonly TimeSpan AgentFreshness = TimeSpan.FromMinutes(2);

    public async Task<SuiteLaunchResult> LaunchAsync(SuiteLaunch request, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var suite = await db.Suites.AsNoTracking().SingleOrDefaultAsync(s => s.Name == request.Suite, ct);
        if (suite is null || request.Access?.CanRead(suite.ProjectId) == false) return new(LaunchOutcome.NotFound, Detail: $"no suite named '{request.Suite}'");
        var project = await db.Projects.AsNoTracking().SingleAsync(p => p.Id == suite.ProjectId, ct);
        // A run submits into the suite's project: whoever triggers it must be allowed to submit there.
        if (request.Access?.CanSubmit(suite.ProjectId) == false)
            return new(LaunchOutcome.Forbidden, Detail: $"your role in project '{project.Name}' is {request.Access.RoleIn(suite.ProjectId)}; running a suite needs researcher or admin");
        if (request.IdempotencyKey is { } key
            && await db.SuiteRuns.AsNoTracking().SingleOrDefaultAsync(r => r.SuiteId == suite.Id && r.IdempotencyKey == key, ct) is { } earlier)
            return new(LaunchOutcome.Existing, earlier);

        var now = clock.GetUtcNow();
        var active = await db.SuiteRuns.AsNoTracking().Where(r => r.SuiteId == suite.Id && r.Status == SuiteRunStatuses.Running)
            .Select(r => (Guid?)r.Id).FirstOrDefaultAsync(ct);
        if (active is { } activeId) return await SkipAsync(db, suite, request, activeId, now, ct);
        // Scheduled runs act as the suite's owner (built-ins: no owner, so only admins manage their experiments), and a
        // suite's schedule may not fire more often than MinScheduledInterval, whatever its cron says.
        var by = request.Trigger == "schedule" ? new Actor("schedule", suite.OwnerId) : request.By;
        if (request.Trigger == "schedule"
            && await db.SuiteRuns.AsNoTracking().Where(r => r.SuiteId == suite.Id && r.Trigger == "schedule" && r.Status != SuiteRunStatuses.Skipped)
                .MaxAsync(r => (DateTimeOffset?)r.CreatedAt, ct) is { } last
            && now - last < MinScheduledInterval)
        {
            var note = $"scheduled runs of a suite start at most once every {MinScheduledInterval.TotalMinutes:0} minutes; the last started {Timestamps(last)}";
            return new(LaunchOutcome.Skipped, await RecordAsync(db, suite, request, SuiteRunStatuses.Skipped, note, null, now, ct), note);
        }

        IReadOnlyList<ExpandedExperiment> expanded;
        IReadOnlyList<ExpandedSweep> suiteSweeps;
        SuiteDefinition definition;
        try
        {
            definition = SuiteDefinition.Parse(suite.DefinitionJson);
            expanded = SuiteExpansion.Expand(definition);
            suiteSweeps = SuiteExpansion.ExpandSweeps(definition);
        }
        catch (SuiteDefinitionException ex) { return new(LaunchOutcome.Invalid, Detail: "the suite definition does not expand to valid specs", Errors: ex.Errors); }
        catch (JsonException ex) { return new(LaunchOutcome.Invalid, Detail: $"the stored suite definition is not valid: {ex.Message}"); }

        // A pretrain whose backbone name is already registered (by an earlier run) is not repeated: its adaptations use
        // that backbone, so successive runs of the suite share configurations and can be compared.
        var registered = expanded.Select(x => x.Spec.Backbone.RegisterAs).OfType<string>().ToList();
        var existing = registered.Count == 0 ? [] : await db.Backbones.AsNoTracking().Where(b => registered.Contains(b.Name)).Select(b => b.Name).ToListAsync(ct);
        var reused = existing.ToHashSet();
        var plan = expanded.Where(x => x.Spec.Backbone.RegisterAs is not { } r || !reused.Contains(r)).ToList();

        // The sweeps count at their expected cost (never trimmed: a sweep cut short selects nothing); experiments after them.
        var sweepCost = suiteSweeps.SelectMany(x => Contracts.Sweeps.SweepCost.Equivalents(x.Definition)).ToList();
        List<ExperimentSpec> Costed() => [.. sweepCost, .. plan.Select(x => x.Spec)];
        var estimate = await EstimateAsync(db, Costed(), suite.Window ?? definition.Window, now, ct);
        var trimmed = new List<ExpandedExperiment>();
        if (estimate.Window is { } window && !estimate.Fits)
        {
            if (!request.Trim || estimate.Slots == 0) return await RefuseAsync(db, suite, request, estimate, now, ct);
            var history = await HistoryAsync(db, now, ct);
            var kept = SuiteCostEstimator.Trim(Costed(), history, estimate.Slots, window, fixedCount: sweepCost.Count)
                .Where(i => i >= sweepCost.Count).Select(i => i - sweepCost.Count).ToHashSet();
            if (kept.Count == 0 && plan.Count > 0) return await RefuseAsync(db, suite, request, estimate, now, ct);
            trimmed = plan.Where((_, i) => !kept.Contains(i)).ToList();
            plan = plan.Where((_, i) => kept.Contains(i)).ToList();
            estimate = SuiteCostEstimator.Estimate(Costed(), history, estimate.Slots, window);
            if (!estimate.Fits) return await RefuseAsync(db, suite, request, estimate, now, ct);
        }

        var run = new SuiteRun
        {
            Id = Guid.CreateVersion7(now), SuiteId = suite.Id, SuiteVersion = suite.Version, Status = SuiteRunStatuses.Running,
            Trigger = request.Trigger, IdempotencyKey = request.IdempotencyKey, TriggeredBy = request.By.Name,
            ExperimentCount = plan.Count, CreatedAt = now,
            Note = Describe(reused, trimmed),
            PlanJson = JsonSerializer.Serialize(new
            {
                estimate = SuiteViews.Estimate(estimate),
                reusedBackbones = reused.Order().ToList(),
                trimmed = trimmed.Select(x => new { x.Entry, x.Label, x.Seed, name = x.Spec.Name }).ToList(),
                submissionProblems = new List<string>(),
            }, SuiteViews.Json),
        };
        db.SuiteRuns.Add(run);
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } pg)
        {
            db.ChangeTracker.Clear();
            // Lost a race: either a retry with the same key, or another trigger started a run of this suite first.
            if (request.IdempotencyKey is { } k
                && await db.SuiteRuns.AsNoTracking().SingleOrDefaultAsync(r => r.SuiteId == suite.Id && r.IdempotencyKey == k, ct) is { } same)
                return new(LaunchOutcome.Existing, same);
            var winner = await db.SuiteRuns.AsNoTracking().Where(r => r.SuiteId == suite.Id && r.Status == SuiteRunStatuses.Running)
                .Select(r => (Guid?)r.Id).FirstOrDefaultAsync(ct);
            if (winner is { } w) return await SkipAsync(db, suite, request, w, now, ct);
            throw new InvalidOperationException($"could not record the run of suite '{suite.Name}' ({pg.ConstraintName})", ex);
        }

        var problems = new List<string>();
        int submitted = 0;
        var target = new Projects.ProjectSummary(project.Id, project.Name, project.Description, "", project.PriorityCeiling);
        foreach (var x in plan)
        {
            var result = await submission.SubmitAsync(x.Spec, by, target, ct, run.Id);
            if (result.Errors is { Count: > 0 } errors)
                problems.Add($"{x.Spec.Name} (seed {x.Seed}): not submitted, {string.Join("; ", errors.Select(kv => $"{kv.Key}: {string.Join(", ", kv.Value)}"))}");
            else if (result.Experiment is null) problems.Add($"{x.Spec.Name} (seed {x.Seed}): backbone '{result.BackboneConflict}' is already registered");
            else submitted++;
        }
        // The suite's sweeps, each through the sweep pipeline; the tracker waits for them as for the experiments.
        int sweepsStarted = 0;
        foreach (var x in suiteSweeps)
        {
            var created = await sweeps.CreateAsync(JsonSerializer.Serialize(x.Definition, Contracts.Sweeps.SweepDefinition.Json), by, target, ct, run.Id);
            if (created.Errors is { Count: > 0 } errors)
                problems.Add($"sweep {x.Entry}: not started, {string.Join("; ", errors.Select(kv => $"{kv.Key}: {string.Join(", ", kv.Value)}"))}");
            else sweepsStarted++;
        }
        if (submitted != plan.Count || problems.Count > 0)
        {
            var stored = await db.SuiteRuns.SingleAsync(r => r.Id == run.Id, ct);
            stored.ExperimentCount = submitted;
            stored.Note = string.Join("; ", new[] { stored.Note }.Concat(problems).Where(s => !string.IsNullOrEmpty(s)));
            await db.SaveChangesAsync(ct);
            run = stored;
        }
        log.LogInformation("Suite {Suite} v{Version}: run {Run} started by {Actor} ({Trigger}), {Count} experiments and {Sweeps} sweeps, estimated {Estimate}",
            suite.Name, suite.Version, run.Id, request.By.Name, request.Trigger, submitted, sweepsStarted, estimate.Makespan);
        return new(LaunchOutcome.Started, run, Estimate: estimate);
    }

    /// <summary>The cost of a stored suite's expanded experiments on the agents available now (the API's and the page's estimate).</summary>
    /// <exception cref="SuiteDefinitionException">The stored definition no longer expands.</exception>
    public Task<SuiteCostEstimate> EstimateStoredAsync(PlatformDbContext db, Suite suite, DateTimeOffset now, CancellationToken ct)
    {
        var definition = SuiteDefinition.Parse(suite.DefinitionJson);
        var specs = SuiteExpansion.ExpandSweeps(definition).SelectMany(x => Contracts.Sweeps.SweepCost.Equivalents(x.Definition))
            .Concat(SuiteExpansion.Expand(definition).Select(x => x.Spec)).ToList();
        return EstimateAsync(db, specs, suite.Window, now, ct);
    }

    /// <summary>Estimates the cost of <paramref name="specs"/> on the agents available now.</summary>
    public async Task<SuiteCostEstimate> EstimateAsync(PlatformDbContext db, IReadOnlyList<ExperimentSpec> specs, TimeSpan? window, DateTimeOffset now, CancellationToken ct)
    {
        var pools = specs.Select(s => s.Resources.Pool).Distinct().ToList();
        var since = now - AgentFreshness;
        var slots = await db.Agents.AsNoTracking()
            .Where(a => !a.Stopped && !a.Quarantined && a.LastSeenAt >= since && pools.Contains(a.Pool))
            .SumAsync(a => (int?)a.Slots, ct) ?? 0;
        return SuiteCostEstimator.Estimate(specs, await HistoryAsync(db, now, ct), slots, window);
    }

    /// <summary>Observed images/s per preset+method over the last 30 days of succeeded experiments.</summary>
    private static async Task<IReadOnlyList<Throughput>> HistoryAsync(PlatformDbContext db, DateTimeOffset now, CancellationToken ct)
    {
        var since = now.AddDays(-30);
        var rows = await db.Experiments.AsNoTracking()
            .Where(e => e.Status == ExperimentStatus.Succeeded && e.ImagesPerSecond != null && e.SubmittedAt >= since)
            .GroupBy(e => new { e.Preset, e.Method })
            .Select(g => new { g.Key.Preset, g.Key.Method, Rate = g.Average(e => e.ImagesPerSecond!.Value), Count = g.Count() })
            .ToListAsync(ct);
        return rows.Select(r => new Throughput(r.Preset, r.Method, r.Rate, r.Count)).ToList();
    }

    private async Task<SuiteLaunchResult> SkipAsync(PlatformDbContext db, Suite suite, SuiteLaunch request, Guid activeId, DateTimeOffset now, CancellationToken ct)
    {
        var detail = $"run {activeId} of suite '{suite.Name}' is still active; this {request.Trigger} trigger is skipped";
        log.LogWarning("Suite {Suite}: {Detail}", suite.Name, detail);
        var row = await RecordAsync(db, suite, request, SuiteRunStatuses.Skipped, detail, null, now, ct);
        return new(LaunchOutcome.Skipped, row, detail, ActiveRunId: activeId);
    }

    private async Task<SuiteLaunchResult> RefuseAsync(PlatformDbContext db, Suite suite, SuiteLaunch request, SuiteCostEstimate estimate, DateTimeOffset now, CancellationToken ct)
    {
        var detail = estimate.Slots == 0
            ? $"suite '{suite.Name}' has a window of {estimate.Window} but no agent is available (not stopped, not quarantined, seen in the last {AgentFreshness.TotalMinutes:0} minutes)"
            : $"suite '{suite.Name}' is estimated to take {Round(estimate.Makespan)} on {estimate.Slots} slot(s), longer than its window of {estimate.Window}"
              + (request.Trim ? "; even trimmed it does not fit" : "; trigger with trim=true to run the part that fits");
        log.LogWarning("Suite {Suite} refused: {Detail}", suite.Name, detail);
        // Scheduled triggers have nobody to answer: keep a row so the dashboard shows why the night had no run.
        SuiteRun? row = request.Trigger == "schedule" ? await RecordAsync(db, suite, request, SuiteRunStatuses.Refused, detail, estimate, now, ct) : null;
        return new(LaunchOutcome.DoesNotFit, row, detail, estimate);
    }

    private static async Task<SuiteRun> RecordAsync(PlatformDbContext db, Suite suite, SuiteLaunch request, string status, string note,
        SuiteCostEstimate? estimate, DateTimeOffset now, CancellationToken ct)
    {
        var row = new SuiteRun
        {
            Id = Guid.CreateVersion7(now), SuiteId = suite.Id, SuiteVersion = suite.Version, Status = status, Trigger = request.Trigger,
            // The key stays with the run it made: a skipped or refused trigger does not claim it.
            IdempotencyKey = null, TriggeredBy = request.By.Name, CreatedAt = now, FinishedAt = now, Note = note,
            PlanJson = estimate is null ? null : JsonSerializer.Serialize(new { estimate = SuiteViews.Estimate(estimate) }, SuiteViews.Json),
        };
        db.SuiteRuns.Add(row);
        await db.SaveChangesAsync(ct);
        return row;
    }

    private static string? Describe(HashSet<string> reused, List<ExpandedExperiment> trimmed)
    {
        var parts = new List<string>();
        if (reused.Count > 0) parts.Add($"reused registered backbone(s) {string.Join(", ", reused.Order())} instead of pretraining again");
        if (trimmed.Count > 0) parts.Add($"trimmed {trimmed.Count} experiment(s) to fit the window");
        return parts.Count == 0 ? null : string.Join("; ", parts);
    }

    public static TimeSpan Round(TimeSpan t) => t == TimeSpan.MaxValue ? t : TimeSpan.FromSeconds(Math.Ceiling(t.TotalSeconds));
}
