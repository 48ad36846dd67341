using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Specs;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Data.Experiments;
using AdapterLab.Web.Auth;
using AdapterLab.Web.Outbox;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AdapterLab.Web.Experiments;

/// <summary>
/// The one submission pipeline, behind every entry point (API submit and clone, the dashboard form, suite launches):
/// parse → validate with this platform's settings (dry runs allowed or not) → check a folder dataset's path against the
/// data root → store. Storing writes the Queued experiment, its audit row, a pending backbone (pretrain with
/// registerAs) and the <see cref="ExperimentSubmitted"/> outbox row in one transaction, then publishes that row at once
/// (the relay covers a failure).
/// </summary>
public sealed class ExperimentSubmission(IDbContextFactory<PlatformDbContext> dbFactory, OutboxPublisher outbox, TimeProvider clock, IConfiguration configuration)
{
    /// <summary>Outcome of a submission: the new experiment, the name of a backbone that already exists, or the spec's errors by field.</summary>
    public sealed record Result(Experiment? Experiment, string? BackboneConflict, IReadOnlyDictionary<string, string[]>? Errors = null);

    /// <summary>
    /// Whether this platform accepts <c>training.dryRun</c> specs (benchmarks only): the setting
    /// <c>ADAPTERLAB_ALLOW_DRY_RUN</c> (<c>1</c> or <c>true</c>; environment or configuration), off by default.
    /// </summary>
    public bool AllowsDryRun => configuration["ADAPTERLAB_ALLOW_DRY_RUN"] is { } v && (v == "1" || v.Equals("true", StringComparison.OrdinalIgnoreCase));

    /// <summary>Every error the spec has on this platform (the validator with its settings, then the data path); empty means it would be stored.</summary>
    public IReadOnlyDictionary<string, string[]> Check(ExperimentSpec spec)
    {
        var errors = SpecValidator.Validate(spec, AllowsDryRun);
        if (errors.Count > 0) return errors;
        return Weights.FolderDatasetCheck.Check(spec, configuration) ?? (IReadOnlyDictionary<string, string[]>)new Dictionary<string, string[]>();
    }

    /// <summary>
    /// What the spec may use in <paramref name="project"/>: a named backbone that exists must be the project's own or
    /// shared with it; a backbone experiment must be one of the project's (another project's reads as missing). The
    /// dispatcher checks again when it resolves the weights (a name registered later by another project).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string[]>> CheckProjectAsync(ExperimentSpec spec, Guid project, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (spec.Backbone.Source == BackboneSources.Named && spec.Backbone.Name is { } name
            && await db.Backbones.AsNoTracking().Where(b => b.Name == name).Select(b => (Guid?)b.ProjectId).SingleOrDefaultAsync(ct) is { } owner
            && owner != project && !await db.BackboneShares.AnyAsync(s => s.BackboneName == name && s.ProjectId == project, ct))
            errors["backbone.name"] = [$"backbone '{name}' belongs to another project and is not shared with this one"];
        if (spec.Backbone.Source == BackboneSources.Experiment && spec.Backbone.ExperimentId is { } source
            && !await db.Experiments.AnyAsync(e => e.Id == source && e.ProjectId == project, ct))
            errors["backbone.experimentId"] = [$"no experiment {source} in this project"];
        return errors;
    }

    /// <summary>Parses a JSON spec (unknown fields refused, errors at their JSON path) and submits it.</summary>
    public async Task<Result> SubmitJsonAsync(string json, Actor actor, Projects.ProjectSummary project, CancellationToken ct)
    {
        var spec = SpecJson.TryParse(json, out var parseErrors);
        return spec is null ? new Result(null, null, parseErrors) : await SubmitAsync(spec, actor, project, ct);
    }

    /// <summary>Checks then stores; nothing is written for a spec with errors.</summary>
    /// <param name="project">The project it goes to; the caller checked that the actor may submit there.</param>
    /// <param name="suiteRunId">The suite run the experiment belongs to (suite runs submit through here too).</param>
    public async Task<Result> SubmitAsync(ExperimentSpec spec, Actor actor, Projects.ProjectSummary project, CancellationToken ct, Guid? suiteRunId = null)
    {
        var errors = Check(spec);
        if (errors.Count == 0) errors = await CheckProjectAsync(spec, project.Id, ct);
        if (errors.Count > 0) return new Result(null, null, errors);
        var now = clock.GetUtcNow();
        var experiment = QueuedExperiments.From(spec, actor.Name, actor.OwnerId, project.Id, project.PriorityCeiling, now);
        experiment.SuiteRunId = suiteRunId;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (spec.Backbone.RegisterAs is { } name)
        {
            var existing = await db.Backbones.AsNoTracking().SingleOrDefaultAsync(b => b.Name == name, ct);
            if (existing is null)
                db.Backbones.Add(new Backbone
                {
                    Name = name, ProjectId = project.Id, Preset = spec.Backbone.Preset, SourceExperimentId = experiment.Id, Origin = "pretrain", CreatedAt = now,
                });
            else if (!await TakeOverAbandonedNameAsync(db, existing, experiment.Id, spec.Backbone.Preset, now, ct))
                return new(null, name);
        }
        QueuedExperiments.Add(db, experiment, actor.Name, "submitted", now);
        var submitted = OutboxEntries.For(new ExperimentSubmitted { ExperimentId = experiment.Id, SubmittedAt = now }, now);
        db.Outbox.Add(submitted);
        try
        {
            // One transaction: the experiment never exists without its outgoing message (or its backbone name).
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } pg
                                           && pg.TableName == "backbones")
        {
            // Lost a race with a concurrent submission registering the same backbone name.
            return new(null, spec.Backbone.RegisterAs);
        }
        // Published from here, right after the commit: the orchestrator dispatches on it (bench perf-dispatch).
        await outbox.PublishCommittedAsync([submitted]);
        return new(experiment, null);
    }

    /// <summary>
    /// A name reserved by a pretrain that ended without weights (Failed or Cancelled) is free again: the new pretrain takes
    /// it over. Conditional on the row still being that abandoned reservation, so two submissions cannot both win; the old
    /// pretrain, if retried later, no longer registers (registration checks the row's source experiment).
    /// </summary>
    private static async Task<bool> TakeOverAbandonedNameAsync(PlatformDbContext db, Backbone existing, Guid experimentId, string preset,
        DateTimeOffset now, CancellationToken ct)
    {
        if (existing.BlobHash is not null || existing.SourceExperimentId is not { } previous) return false;
        var status = await db.Experiments.Where(e => e.Id == previous).Select(e => (ExperimentStatus?)e.Status).SingleOrDefaultAsync(ct);
        if (status is not (ExperimentStatus.Failed or ExperimentStatus.Cancelled or null)) return false;
        int taken = await db.Backbones
            .Where(b => b.Name == existing.Name && b.BlobHash == null && b.SourceExperimentId == previous)
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.SourceExperimentId, experimentId).SetProperty(b => b.Preset, preset)
                .SetProperty(b => b.CreatedAt, now), ct);
        return taken == 1;
    }
}
