using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Specs;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Orchestrator.Scheduling;

/// <summary>Which weights an experiment starts from, pinned to blob hashes at dispatch; or why it must wait or fail.</summary>
public sealed record WeightsResolution(string? BackboneBlob, string? ModelBlob, string? WaitReason, string? FailReason)
{
    public static readonly WeightsResolution Random = new(null, null, null, null);
    public static WeightsResolution Wait(string reason) => new(null, null, reason, null);
    public static WeightsResolution Fail(string reason) => new(null, null, null, reason);
}

/// <summary>Resolves a spec's backbone (random, named, or an experiment's output) against what is stored now.</summary>
public static class WeightsResolver
{
    public static async Task<WeightsResolution> ResolveAsync(PlatformDbContext db, Experiment e, CancellationToken ct)
    {
        // Hot path (every dispatch pass, every queued experiment): a random backbone needs no lookup at all.
        if (e.RequiresBackbone is null && e.RequiresExperiment is null) return WeightsResolution.Random;
        var spec = SpecJson.Deserialize(e.SpecJson);
        var b = spec.Backbone;
        switch (b.Source)
        {
            case BackboneSources.Named:
            {
                var backbone = await db.Backbones.AsNoTracking().SingleOrDefaultAsync(x => x.Name == b.Name, ct);
                if (backbone is null) return WeightsResolution.Wait($"waiting for backbone {b.Name}: no backbone of that name is registered yet");
                if (backbone.Preset != b.Preset)
                    return WeightsResolution.Fail($"backbone {b.Name} is a {backbone.Preset}, but the spec asks for {b.Preset}");
                if (backbone.BlobHash is null)
                {
                    var source = backbone.SourceExperimentId is { } sid
                        ? await db.Experiments.AsNoTracking().Where(x => x.Id == sid).Select(x => new { x.Status }).SingleOrDefaultAsync(ct)
                        : null;
                    return source?.Status is ExperimentStatus.Failed or ExperimentStatus.Cancelled
                        ? WeightsResolution.Wait($"waiting for backbone {b.Name}: its pretrain {backbone.SourceExperimentId} is {source.Status}; retry it")
                        : WeightsResolution.Wait($"waiting for backbone {b.Name}: its pretrain {backbone.SourceExperimentId} has not finished");
                }
                return new WeightsResolution(backbone.BlobHash, null, null, null);
            }
            case BackboneSources.Experiment:
            {
                var source = await db.Experiments.AsNoTracking().SingleOrDefaultAsync(x => x.Id == b.ExperimentId, ct);
                if (source is null) return WeightsResolution.Fail($"backbone experiment {b.ExperimentId} does not exist");
                if (source.Preset != b.Preset) return WeightsResolution.Fail($"experiment {source.Id} trained a {source.Preset}, but the spec asks for {b.Preset}");
                if (source.Status != ExperimentStatus.Succeeded)
                    return WeightsResolution.Wait($"waiting for experiment {source.Id} to succeed (it is {source.Status})");
                if (e.Kind == Kinds.Evaluate)
                {
                    var backbone = source.Kind == Kinds.Pretrain
                        ? source.BackboneBlob
                        : await db.Attempts.AsNoTracking().Where(a => a.ExperimentId == source.Id && a.Number == source.AttemptCount).Select(a => a.BackboneBlob).SingleOrDefaultAsync(ct);
                    return new WeightsResolution(backbone, source.OutputBlob, null, null);
                }
                return source.BackboneBlob is null
                    ? WeightsResolution.Fail($"experiment {source.Id} ({source.Kind}) did not produce a backbone")
                    : new WeightsResolution(source.BackboneBlob, null, null, null);
            }
            default:
                return WeightsResolution.Random;
        }
    }
}
