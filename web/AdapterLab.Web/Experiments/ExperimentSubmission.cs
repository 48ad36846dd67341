using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Specs;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Web.Outbox;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AdapterLab.Web.Experiments;

/// <summary>
/// Stores a validated spec as a Queued experiment, its audit row, a pending backbone (pretrain with registerAs) and the
/// <see cref="ExperimentSubmitted"/> outbox row in one transaction, then publishes that row at once (the relay covers a
/// failure). Submit and clone share it.
/// </summary>
public sealed class ExperimentSubmission(IDbContextFactory<PlatformDbContext> dbFactory, OutboxPublisher outbox, TimeProvider clock)
{
    /// <summary>Outcome of a submission: the new experiment, or the name of a backbone that already exists.</summary>
    public sealed record Result(Experiment? Experiment, string? BackboneConflict);

    /// <param name="suiteRunId">The suite run the experiment belongs to (suite runs submit through here too).</param>
    public async Task<Result> SubmitAsync(ExperimentSpec spec, string actor, CancellationToken ct, Guid? suiteRunId = null)
    {
        var now = clock.GetUtcNow();
        var experiment = Build(spec, actor, now);
        experiment.SuiteRunId = suiteRunId;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (spec.Backbone.RegisterAs is { } name)
        {
            var existing = await db.Backbones.AsNoTracking().SingleOrDefaultAsync(b => b.Name == name, ct);
            if (existing is null)
                db.Backbones.Add(new Backbone
                {
                    Name = name, Preset = spec.Backbone.Preset, SourceExperimentId = experiment.Id, Origin = "pretrain", CreatedAt = now,
                });
            else if (!await TakeOverAbandonedNameAsync(db, existing, experiment.Id, spec.Backbone.Preset, now, ct))
                return new(null, name);
        }
        db.Experiments.Add(experiment);
        db.StateTransitions.Add(new StateTransition
        {
            ExperimentId = experiment.Id, AttemptNumber = 0, From = "", To = nameof(ExperimentStatus.Queued), Actor = actor,
            Reason = "submitted", At = now,
        });
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

    private static Experiment Build(ExperimentSpec spec, string actor, DateTimeOffset now)
    {
        var classification = spec.Kind is Kinds.Pretrain or Kinds.Adapt or Kinds.Evaluate;
        var parameters = classification ? ModelCatalogue.Count(spec) : null;
        return new Experiment
        {
            Id = Guid.CreateVersion7(now),
            Name = spec.Name,
            Kind = spec.Kind,
            Method = spec.Method.Name,
            Preset = spec.Backbone.Preset,
            Dataset = spec.Data.Dataset,
            LabelFamily = spec.Data.LabelFamily,
            SourceDomain = spec.Data.SourceDomain,
            TargetDomains = [.. spec.Data.TargetDomains],
            Tasks = [.. spec.Tasks],
            Setting = spec.Data.Setting,
            Seed = spec.Training.Seed,
            SpecJson = SpecJson.Serialize(spec),
            SpecHash = SpecJson.Hash(spec),
            ConfigurationHash = ConfigurationIdentity.Hash(spec, backboneSha256: null),
            ConfigurationVersion = ConfigurationIdentity.Version,
            Status = ExperimentStatus.Queued,
            Priority = spec.Priority,
            Pool = spec.Resources.Pool,
            Tags = [.. spec.Tags],
            Suite = spec.Suite,
            Owner = actor,
            SubmittedAt = now,
            UpdatedAt = now,
            TotalSteps = spec.Training.Steps ?? 0,
            TrainableParameters = parameters?.Trainable ?? 0,
            TotalParameters = parameters?.Total ?? 0,
            RequiresBackbone = spec.Backbone.Source == BackboneSources.Named ? spec.Backbone.Name : null,
            RequiresExperiment = spec.Backbone.Source == BackboneSources.Experiment ? spec.Backbone.ExperimentId : null,
            RegistersBackbone = spec.Backbone.RegisterAs,
        };
    }
}
