using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Specs;
using AdapterLab.Data.Entities;

namespace AdapterLab.Data.Experiments;

/// <summary>
/// How a validated spec becomes a Queued experiment row with its audit row — the storing half of the one submission
/// pipeline, shared by the web's submissions (API, form, suites) and the orchestrator's sweep trials. Callers validate
/// first and commit (with whatever else belongs in the same transaction).
/// </summary>
public static class QueuedExperiments
{
    /// <summary>
    /// The row for <paramref name="spec"/> in <paramref name="project"/>, owned by <paramref name="owner"/> (display) and
    /// <paramref name="ownerId"/> (access checks); its priority is lowered to the project's ceiling when above it — every
    /// path into the queue comes through here, so the dispatcher's index order never sees a priority above a ceiling.
    /// </summary>
    public static Experiment From(ExperimentSpec spec, string? owner, string? ownerId, Guid project, int? priorityCeiling, DateTimeOffset now)
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
            LabelFamily = spec.Data.LabelFamily ?? (spec.Data.LabelFamilies is { } heads ? ShapesWorldCatalogue.Composite(heads) : null),
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
            ProjectId = project,
            Priority = priorityCeiling is { } ceiling ? Math.Min(spec.Priority, ceiling) : spec.Priority,
            Pool = spec.Resources.Pool,
            Tags = [.. spec.Tags],
            Suite = spec.Suite,
            Owner = owner,
            OwnerId = ownerId,
            SubmittedAt = now,
            UpdatedAt = now,
            TotalSteps = spec.Training.Steps ?? 0,
            TrainableParameters = parameters?.Trainable ?? 0,
            TotalParameters = parameters?.Total ?? 0,
            RequiresBackbone = spec.Backbone.Source == BackboneSources.Named ? spec.Backbone.Name : null,
            RequiresExperiment = spec.Backbone.Source == BackboneSources.Experiment ? spec.Backbone.ExperimentId : null,
            RegistersBackbone = spec.Backbone.RegisterAs,
            TraceParent = System.Diagnostics.Activity.Current?.Id,
        };
    }

    /// <summary>Adds the experiment and its first audit row (<c>→ Queued</c> by <paramref name="actor"/>) to the unit of work.</summary>
    public static void Add(PlatformDbContext db, Experiment experiment, string actor, string reason, DateTimeOffset now)
    {
        db.Experiments.Add(experiment);
        db.StateTransitions.Add(new StateTransition
        {
            ExperimentId = experiment.Id, AttemptNumber = 0, From = "", To = nameof(ExperimentStatus.Queued), Actor = actor,
            Reason = reason, At = now,
        });
    }
}
