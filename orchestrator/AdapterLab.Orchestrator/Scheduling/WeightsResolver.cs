using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Specs;
using AdapterLab.Data;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Orchestrator.Scheduling;

/// <summary>Which weights an experiment starts from, pinned to blob hashes at dispatch; or why it must wait or fail.</summary>
public sealed record WeightsResolution(string? BackboneBlob, string? ModelBlob, string? WaitReason, string? FailReason)
{
    public static readonly WeightsResolution Random = new(null, null, null, null);
    public static WeightsResolution Wait(string reason) => new(null, null, reason, null);
    public static WeightsResolution Fail(string reason) => new(null, null, null, reason);
}

/// <summary>What the resolver needs of a queued experiment: columns stored at submission (no spec parsing).</summary>
/// <param name="RequiresBackbone">The spec's named backbone (<c>backbone.source: named</c>).</param>
/// <param name="RequiresExperiment">The spec's backbone experiment (<c>backbone.source: experiment</c>).</param>
/// <param name="Project">The experiment's project: a named backbone must be its own or shared with it, a backbone experiment in it.</param>
public sealed record WeightsNeed(string Kind, string Preset, string? RequiresBackbone, Guid? RequiresExperiment, Guid Project);

/// <summary>
/// Resolves a queued experiment's backbone (random, named, or an experiment's output) against what is stored now. One
/// instance serves one dispatch pass: experiments that need the same backbone share one lookup.
/// </summary>
public sealed class WeightsResolver(PlatformDbContext db)
{
    private readonly Dictionary<WeightsNeed, WeightsResolution> _resolved = [];

    public async Task<WeightsResolution> ResolveAsync(WeightsNeed need, CancellationToken ct)
    {
        // Hot path (every dispatch pass, every queued experiment): a random backbone needs no lookup at all.
        if (need.RequiresBackbone is null && need.RequiresExperiment is null) return WeightsResolution.Random;
        if (_resolved.TryGetValue(need, out var known)) return known;
        var r = need.RequiresBackbone is { } name ? await NamedAsync(name, need.Preset, need.Kind == Kinds.Evaluate, need.Project, ct) : await FromExperimentAsync(need, ct);
        _resolved[need] = r;
        return r;
    }

    /// <param name="evaluate">An evaluation of a named backbone evaluates the classifier of the pretrain that registered it
    /// (its backbone and its head); an imported backbone has no head to evaluate.</param>
    private async Task<WeightsResolution> NamedAsync(string name, string preset, bool evaluate, Guid project, CancellationToken ct)
    {
        var backbone = await db.Backbones.AsNoTracking().SingleOrDefaultAsync(x => x.Name == name, ct);
        if (backbone is null) return WeightsResolution.Wait($"waiting for backbone {name}: no backbone of that name is registered yet");
        // Checked on the receiving side too: the submission refused a foreign backbone, but the name may have been
        // registered by another project since.
        if (backbone.ProjectId != project && !await db.BackboneShares.AnyAsync(s => s.BackboneName == name && s.ProjectId == project, ct))
            return WeightsResolution.Fail($"backbone {name} belongs to another project and is not shared with this one");
        if (backbone.Preset != preset)
            return WeightsResolution.Fail($"backbone {name} is a {backbone.Preset}, but the spec asks for {preset}");
        if (backbone.BlobHash is null)
        {
            var source = backbone.SourceExperimentId is { } sid
                ? await db.Experiments.AsNoTracking().Where(x => x.Id == sid).Select(x => new { x.Status }).SingleOrDefaultAsync(ct)
                : null;
            return source?.Status is ExperimentStatus.Failed or ExperimentStatus.Cancelled
                ? WeightsResolution.Wait($"waiting for backbone {name}: its pretrain {backbone.SourceExperimentId} is {source.Status}; retry it")
                : WeightsResolution.Wait($"waiting for backbone {name}: its pretrain {backbone.SourceExperimentId} has not finished");
        }
        if (!evaluate) return new WeightsResolution(backbone.BlobHash, null, null, null);
        var output = backbone.SourceExperimentId is { } pretrain
            ? await db.Experiments.AsNoTracking().Where(x => x.Id == pretrain).Select(x => new { x.OutputBlob, x.Method }).SingleOrDefaultAsync(ct)
            : null;
        if (output?.Method == Methods.Mae) return WeightsResolution.Fail(NoClassifier(name));
        return output?.OutputBlob is null
            ? WeightsResolution.Fail($"backbone {name} was imported, so it has no classifier head to evaluate; evaluate an experiment instead (backbone.source 'experiment')")
            : new WeightsResolution(backbone.BlobHash, output.OutputBlob, null, null);
    }

    private static string NoClassifier(string backbone) =>
        $"backbone {backbone} was pretrained by masked autoencoding, so it has no classifier to evaluate; adapt it (e.g. method 'linear-probe') and evaluate that";

    private async Task<WeightsResolution> FromExperimentAsync(WeightsNeed need, CancellationToken ct)
    {
        var source = await db.Experiments.AsNoTracking()
            .Where(x => x.Id == need.RequiresExperiment)
            .Select(x => new { x.Id, x.Kind, x.Method, x.Preset, x.Status, x.BackboneBlob, x.OutputBlob, x.AttemptCount, x.ProjectId })
            .SingleOrDefaultAsync(ct);
        // Another project's experiment reads as a missing one.
        if (source is null || source.ProjectId != need.Project) return WeightsResolution.Fail($"backbone experiment {need.RequiresExperiment} does not exist");
        if (source.Preset != need.Preset) return WeightsResolution.Fail($"experiment {source.Id} trained a {source.Preset}, but the spec asks for {need.Preset}");
        if (source.Status != ExperimentStatus.Succeeded)
            return WeightsResolution.Wait($"waiting for experiment {source.Id} to succeed (it is {source.Status})");
        if (need.Kind == Kinds.Evaluate)
        {
            if (source.Method == Methods.Mae) return WeightsResolution.Fail(NoClassifier($"of experiment {source.Id}"));
            var backbone = source.Kind == Kinds.Pretrain
                ? source.BackboneBlob
                : await db.Attempts.AsNoTracking().Where(a => a.ExperimentId == source.Id && a.Number == source.AttemptCount).Select(a => a.BackboneBlob).SingleOrDefaultAsync(ct);
            return new WeightsResolution(backbone, source.OutputBlob, null, null);
        }
        return source.BackboneBlob is null
            ? WeightsResolution.Fail($"experiment {source.Id} ({source.Kind}) did not produce a backbone")
            : new WeightsResolution(source.BackboneBlob, null, null, null);
    }
}
