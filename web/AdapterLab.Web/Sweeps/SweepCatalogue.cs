using System.Text.Json;
using AdapterLab.Contracts.Sweeps;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Web.Auth;
using AdapterLab.Web.Experiments;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Sweeps;

/// <summary>
/// Creates and stops sweeps (API and dashboard). A definition is parsed strictly, planned (<see cref="SweepPlan.From"/>:
/// budget, rungs, search space) and its first trials' specs checked by the one submission pipeline's checks
/// (<see cref="ExperimentSubmission.Check"/>: the validator with this platform's settings and the data root) — every grid
/// point and every configuration of a space of choices only (each runs once), or the first draws from ranges — so a sweep whose trials could not run is refused with the field named,
/// not accepted to fail trial by trial. The orchestrator starts the trials.
/// </summary>
public sealed class SweepCatalogue(IDbContextFactory<PlatformDbContext> dbFactory, ExperimentSubmission submission, TimeProvider clock)
{
    /// <summary>Draws from ranges checked at creation (a listed space is checked whole: at most <see cref="SweepPlan.GridLimit"/> points).</summary>
    public const int DrawsChecked = 16;

    public sealed record Created(Sweep? Sweep, IReadOnlyDictionary<string, string[]>? Errors);

    /// <param name="project">The project it runs in (the caller checked the actor may submit there); its trials queue there.</param>
    /// <param name="suiteRunId">The suite run starting it (a suite's <c>sweeps</c> entry), if any.</param>
    public async Task<Created> CreateAsync(string json, Actor actor, Projects.ProjectSummary project, CancellationToken ct, Guid? suiteRunId = null)
    {
        SweepDefinition definition;
        SweepPlan plan;
        try
        {
            definition = SweepDefinition.Parse(json);
            plan = SweepPlan.From(definition);
        }
        catch (JsonException ex)
        {
            return new(null, Hosting.JsonBody.Errors(ex));
        }
        catch (SweepDefinitionException ex)
        {
            return new(null, ex.Errors);
        }
        if (CheckTrials(definition) is { } errors) return new(null, errors);
        // The backbone a trial trains on must be the project's own or shared with it (the template's, checked on the first trial).
        var (first, _) = SweepTrials.Spec(definition, SweepTrials.Values(definition, 0, SearchSpace.Points(definition)), 0, submission.AllowsDryRun);
        if (first is not null && await submission.CheckProjectAsync(first, project.Id, ct) is { Count: > 0 } foreign)
            return new(null, foreign.ToDictionary(p => "template." + p.Key, p => p.Value));

        var now = clock.GetUtcNow();
        var sweep = new Sweep
        {
            Id = Guid.CreateVersion7(now),
            Name = definition.Name,
            ProjectId = project.Id,
            DefinitionJson = JsonSerializer.Serialize(definition, SweepDefinition.Json),
            Status = SweepStatuses.Running,
            AllowDryRun = submission.AllowsDryRun,
            Owner = actor.Name,
            OwnerId = actor.OwnerId,
            SuiteRunId = suiteRunId,
            CreatedAt = now,
            UpdatedAt = now,
            Note = $"{plan.Definition.Algorithm}: rungs {string.Join(" / ", plan.Rungs)} steps" + (plan.Brackets.Count > 1 ? $", {plan.Brackets.Count} brackets" : ""),
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Sweeps.Add(sweep);
        await db.SaveChangesAsync(ct);
        return new(sweep, null);
    }

    /// <summary>The first trials' specs through the submission checks; errors are keyed <c>template.&lt;field&gt;</c>.</summary>
    private IReadOnlyDictionary<string, string[]>? CheckTrials(SweepDefinition d)
    {
        var points = SearchSpace.Points(d);
        // A listed space (a grid, or choices only) is known in full: every trial it can start is checked. Draws from
        // ranges are checked for the first few.
        int count = points is not null
            ? d.Algorithm == SweepAlgorithms.Grid ? points.Count : Math.Min(points.Count, d.Budget.MaxTrials ?? points.Count)
            : Math.Min(DrawsChecked, d.Budget.MaxTrials ?? DrawsChecked);
        for (int i = 0; i < count; i++)
        {
            var values = SweepTrials.Values(d, i, points);
            var (spec, errors) = SweepTrials.Spec(d, values, i, submission.AllowsDryRun);
            var problems = spec is null ? errors : submission.Check(spec);
            if (problems.Count > 0)
            {
                string trial = $"trial {i} ({string.Join(", ", values.Select(v => $"{v.Key} = {v.Value?.ToJsonString() ?? "null"}"))})";
                return problems.ToDictionary(p => "template." + p.Key, p => p.Value.Select(m => $"{m} — in {trial}").ToArray());
            }
        }
        return null;
    }

    public enum StopOutcome { Stopped, NotFound, NotYours, AlreadyOver }

    /// <summary>Asks the orchestrator to stop the sweep: nothing more starts or is promoted, running trials are cancelled, paused ones stopped.</summary>
    public async Task<StopOutcome> StopAsync(Guid id, System.Security.Claims.ClaimsPrincipal user, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var sweep = await db.Sweeps.AsNoTracking().Where(s => s.Id == id).Select(s => new { s.OwnerId, s.Status, s.ProjectId }).SingleOrDefaultAsync(ct);
        if (sweep is null || !Projects.ProjectAccess.Of(user).CanRead(sweep.ProjectId)) return StopOutcome.NotFound;
        if (!ExperimentAccess.CanManage(user, sweep.ProjectId, sweep.OwnerId)) return StopOutcome.NotYours;
        // Conditional on the sweep still running: one that finished meanwhile keeps its own ending.
        string note = $"stopped by {Actor.Of(user).Name}";
        var now = clock.GetUtcNow();
        int changed = await db.Sweeps.Where(s => s.Id == id && (s.Status == SweepStatuses.Running || s.Status == SweepStatuses.Confirming) && !s.StopRequested)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.StopRequested, true).SetProperty(s => s.Note, note).SetProperty(s => s.UpdatedAt, now), ct);
        if (changed == 1) return StopOutcome.Stopped;
        var status = await db.Sweeps.AsNoTracking().Where(s => s.Id == id).Select(s => s.Status).SingleAsync(ct);
        return status is SweepStatuses.Running or SweepStatuses.Confirming ? StopOutcome.Stopped : StopOutcome.AlreadyOver;
    }
}
