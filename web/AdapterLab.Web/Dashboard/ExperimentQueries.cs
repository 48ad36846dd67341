using System.Text.Json;
using AdapterLab.Contracts.Specs;
using AdapterLab.Data;
using AdapterLab.Web.Experiments;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Dashboard;

/// <summary>The experiment page's reads; each opens its own short-lived context (Blazor circuits outlive requests).</summary>
public sealed class ExperimentQueries(IDbContextFactory<PlatformDbContext> dbFactory, GalleryStore galleries)
{
    public async Task<ExperimentDetails?> DetailsAsync(Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var e = await db.Experiments.AsNoTracking().Include(x => x.Attempts).SingleOrDefaultAsync(x => x.Id == id, ct);
        if (e is null) return null;
        var projectName = await db.Projects.Where(p => p.Id == e.ProjectId).Select(p => p.Name).SingleOrDefaultAsync(ct) ?? "";
        var results = await db.FinalResults.AsNoTracking().Where(r => r.ExperimentId == id)
            .OrderBy(r => r.Split).ThenBy(r => r.Task).ThenBy(r => r.Domain).ThenBy(r => r.Metric)
            .Select(r => new FinalResultView(r.Split, r.Task, r.Domain, r.Metric, r.Value)).ToListAsync(ct);
        return new ExperimentDetails
        {
            Id = e.Id, Name = e.Name, Tags = e.Tags, Notes = e.Notes, ArchivedAt = e.ArchivedAt, Kind = e.Kind, Method = e.Method, Status = e.Status.ToString(),
            WaitingReason = e.WaitingReason, FailureReason = e.FailureReason, Step = e.Step, TotalSteps = e.TotalSteps,
            Priority = e.Priority, Pool = e.Pool, Owner = e.Owner, OwnerId = e.OwnerId,
            ProjectId = e.ProjectId, Project = projectName,
            TrainableParameters = e.TrainableParameters, TotalParameters = e.TotalParameters,
            OutputBlob = e.OutputBlob, BackboneBlob = e.BackboneBlob, RequiresBackbone = e.RequiresBackbone,
            RegistersBackbone = e.RegistersBackbone, ImagesPerSecond = e.ImagesPerSecond, PeakMemoryBytes = e.PeakMemoryBytes,
            CancelRequested = e.CancelRequested, SpecHash = e.SpecHash, ConfigurationHash = e.ConfigurationHash,
            SubmittedAt = e.SubmittedAt, UpdatedAt = e.UpdatedAt, StartedAt = e.StartedAt, FinishedAt = e.FinishedAt,
            Attempts = e.Attempts.OrderBy(a => a.Number).Select(a => new AttemptView(
                a.Number, a.AgentId, a.Status.ToString(), a.DispatchedAt, a.StartedAt, a.FinishedAt, a.LeaseExpiresAt, a.LastHeartbeatAt,
                a.Step, a.StartStep, a.FailureReason, a.BackboneBlob,
                a.ProvenanceJson is null ? null : JsonDocument.Parse(a.ProvenanceJson).RootElement.Clone())).ToList(),
            Results = results,
            Spec = SpecJson.Deserialize(e.SpecJson),
        };
    }

    public async Task<string?> SpecJsonAsync(Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Experiments.Where(e => e.Id == id).Select(e => e.SpecJson).SingleOrDefaultAsync(ct);
    }

    public async Task<List<TransitionView>> TransitionsAsync(Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.StateTransitions.AsNoTracking().Where(t => t.ExperimentId == id).OrderBy(t => t.At).ThenBy(t => t.Id)
            .Select(t => new TransitionView(t.AttemptNumber, t.From, t.To, t.Actor, t.Reason, t.At)).ToListAsync(ct);
    }

    /// <summary>Metric points at or after <paramref name="fromStep"/> (live updates re-read only the tail).</summary>
    public async Task<List<MetricPointView>> MetricsAsync(Guid id, long fromStep, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.MetricPoints.AsNoTracking().Where(m => m.ExperimentId == id && m.Step >= fromStep)
            .OrderBy(m => m.Step)
            .Select(m => new MetricPointView(m.Name, m.Split, m.Task, m.Domain, m.Step, m.AttemptNumber, m.Value)).ToListAsync(ct);
    }

    public async Task<List<AffinityView>> AffinityAsync(Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.AffinityMatrices.AsNoTracking().Where(a => a.ExperimentId == id).OrderBy(a => a.Estimator).ThenBy(a => a.Step)
            .Select(a => new AffinityView(a.Step, a.Estimator, a.TaskOrder, a.Values)).ToListAsync(ct);
    }

    public async Task<List<CheckpointView>> CheckpointsAsync(Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await CheckpointsApi.LoadAsync(db, id, ct);
    }

    public async Task<GalleryView?> GalleryAsync(Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await galleries.LatestAsync(db, id, ct);
    }
}
