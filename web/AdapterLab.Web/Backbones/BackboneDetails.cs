using AdapterLab.Data;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Backbones;

/// <summary>
/// A backbone's page: where it came from (the pretrain that produced it, with its method, data and results, or the
/// import) and who uses it — the experiments that name it or ran on its weights, by method and status, newest first.
/// </summary>
public sealed class BackboneDetails(IDbContextFactory<PlatformDbContext> dbFactory)
{
    public const int MaxUsers = 200;

    /// <param name="readable">What the reader may see: the backbone's users and its pretrain are shown from these projects only
    /// (a backbone shared with the reader's project does not show the owning project's runs).</param>
    public async Task<BackbonePage?> LoadAsync(string name, Projects.ProjectScope readable, CancellationToken ct)
    {
        var projects = readable.Ids?.ToArray();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var b = await db.Backbones.AsNoTracking().SingleOrDefaultAsync(x => x.Name == name, ct);
        if (b is null) return null;
        var view = new BackboneView(b.Name, b.Preset, b.BlobHash != null, b.BlobHash, b.SourceExperimentId, b.Origin, b.CreatedAt, b.ReadyAt);
        long? size = b.BlobHash is null ? null : await db.Blobs.AsNoTracking().Where(x => x.Hash == b.BlobHash).Select(x => (long?)x.SizeBytes).SingleOrDefaultAsync(ct);

        BackboneSource? source = null;
        if (b.SourceExperimentId is { } sid)
        {
            var e = await db.Experiments.AsNoTracking().Where(x => x.Id == sid && (projects == null || projects.Contains(x.ProjectId)))
                .Select(x => new { x.Id, x.Name, x.Method, x.Dataset, x.LabelFamily, x.TotalSteps, x.Status, x.Owner }).SingleOrDefaultAsync(ct);
            if (e is not null)
            {
                var results = await db.FinalResults.AsNoTracking().Where(r => r.ExperimentId == sid).OrderBy(r => r.Split).ThenBy(r => r.Task).ThenBy(r => r.Domain).ThenBy(r => r.Metric)
                    .Select(r => new Experiments.FinalResultView(r.Split, r.Task, r.Domain, r.Metric, r.Value)).ToListAsync(ct);
                source = new BackboneSource(e.Id, e.Name, e.Method, e.Dataset, e.LabelFamily, e.TotalSteps, e.Status.ToString(), e.Owner, results);
            }
        }

        var users = UsersOf(db, b).Where(x => projects == null || projects.Contains(x.ProjectId));
        var byMethod = await users.GroupBy(x => new { x.Method, x.Status }).Select(g => new { g.Key.Method, g.Key.Status, Count = g.Count() }).ToListAsync(ct);
        var latest = await users.OrderByDescending(x => x.SubmittedAt).Take(MaxUsers)
            .Select(x => new BackboneUser(x.Id, x.Name, x.Kind, x.Method, x.Status.ToString(), x.Owner, x.SubmittedAt, x.ArchivedAt != null)).ToListAsync(ct);
        var usage = byMethod.GroupBy(x => x.Method).OrderByDescending(g => g.Sum(x => x.Count)).ThenBy(g => g.Key)
            .Select(g => new BackboneUsage(g.Key, g.Sum(x => x.Count), g.Where(x => x.Status == Contracts.Lifecycle.ExperimentStatus.Succeeded).Sum(x => x.Count))).ToList();
        return new BackbonePage(view, size, source, usage, usage.Sum(u => u.Experiments), latest);
    }

    /// <summary>The backbones of the projects in <paramref name="scope"/> and those shared with them, with how many of their experiments use each, by name (the list page and the API).</summary>
    public async Task<List<(BackboneView Backbone, int Users)>> ListAsync(Projects.ProjectScope scope, CancellationToken ct)
    {
        var projects = scope.Ids?.ToArray();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = new List<(BackboneView, int)>();
        var backbones = await db.Backbones.AsNoTracking()
            .Where(b => projects == null || projects.Contains(b.ProjectId) || db.BackboneShares.Any(s => s.BackboneName == b.Name && projects.Contains(s.ProjectId)))
            .OrderBy(x => x.Name).ToListAsync(ct);
        foreach (var b in backbones)
            rows.Add((new BackboneView(b.Name, b.Preset, b.BlobHash != null, b.BlobHash, b.SourceExperimentId, b.Origin, b.CreatedAt, b.ReadyAt),
                await UsersOf(db, b).Where(x => projects == null || projects.Contains(x.ProjectId)).CountAsync(ct)));
        return rows;
    }

    /// <summary>A backbone's users: experiments that name it (waiting for it or not) or that ran on its weights (pinned at dispatch), not its own pretrain.</summary>
    private static IQueryable<Data.Entities.Experiment> UsersOf(PlatformDbContext db, Data.Entities.Backbone b)
    {
        string name = b.Name;
        string? blob = b.BlobHash;
        Guid? source = b.SourceExperimentId;
        return db.Experiments.AsNoTracking().Where(x => x.Id != source && (x.RequiresBackbone == name || (blob != null && x.BackboneBlob == blob)));
    }
}

/// <summary>A backbone with its origin and its users (at most <see cref="BackboneDetails.MaxUsers"/> listed, newest first; <see cref="UserCount"/> counts all).</summary>
public sealed record BackbonePage(BackboneView Backbone, long? SizeBytes, BackboneSource? Source, IReadOnlyList<BackboneUsage> UsageByMethod, int UserCount,
    IReadOnlyList<BackboneUser> Users);

/// <summary>The pretrain that produced a backbone.</summary>
public sealed record BackboneSource(Guid ExperimentId, string? Name, string Method, string Dataset, string? LabelFamily, long Steps, string Status, string? Owner,
    IReadOnlyList<Experiments.FinalResultView> Results);

/// <summary>How many experiments of a method use the backbone, and how many of them succeeded.</summary>
public sealed record BackboneUsage(string Method, int Experiments, int Succeeded);

/// <summary>An experiment that uses the backbone.</summary>
public sealed record BackboneUser(Guid Id, string? Name, string Kind, string Method, string Status, string? Owner, DateTimeOffset SubmittedAt, bool Archived);
