using System.Security.Claims;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Data;
using AdapterLab.Data.Leaderboards;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Experiments;

/// <summary>
/// Archive and restore, shared by the REST API and the dashboard: an ended run (Succeeded, Failed, Cancelled) that is junk
/// leaves the lists and the leaderboards — not the database. Its page, compare by id and the API still read it; restoring
/// brings it back. The owner or an admin may do it; each run is checked on its own, and its configuration's board entries
/// are recomputed in the same transaction, so a board never ranks an archived seed.
/// </summary>
public sealed class ExperimentArchive(IDbContextFactory<PlatformDbContext> dbFactory, TimeProvider clock)
{
    public const string Refusal = "only an ended experiment (Succeeded, Failed or Cancelled) can be archived";

    public Task<IReadOnlyList<ExperimentControl.Result>> ArchiveAsync(IReadOnlyList<Guid> ids, ClaimsPrincipal user, CancellationToken ct) =>
        SetAsync(ids, user, archive: true, ct);

    public Task<IReadOnlyList<ExperimentControl.Result>> RestoreAsync(IReadOnlyList<Guid> ids, ClaimsPrincipal user, CancellationToken ct) =>
        SetAsync(ids, user, archive: false, ct);

    private async Task<IReadOnlyList<ExperimentControl.Result>> SetAsync(IReadOnlyList<Guid> ids, ClaimsPrincipal user, bool archive, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Experiments.AsNoTracking().Where(e => ids.Contains(e.Id))
            .Select(e => new { e.Id, e.Status, e.OwnerId, e.ArchivedAt, e.ProjectId }).ToDictionaryAsync(e => e.Id, ct);
        var results = new List<ExperimentControl.Result>(ids.Count);
        var changed = new List<Guid>();
        foreach (var id in ids.Distinct())
        {
            if (!rows.TryGetValue(id, out var row) || !Projects.ProjectAccess.Of(user).CanRead(row.ProjectId))
            { results.Add(new(id, ExperimentControl.Outcome.NotFound, Detail: $"no experiment with id {id}")); continue; }
            if (!ExperimentAccess.CanManage(user, row.ProjectId, row.OwnerId))
                results.Add(new(id, ExperimentControl.Outcome.Forbidden, row.Status, "only the experiment's owner or its project's admins may do this"));
            else if (archive && !row.Status.IsTerminal())
                results.Add(new(id, ExperimentControl.Outcome.Conflict, row.Status, $"{Refusal}; the experiment is {row.Status}"));
            else
            {
                // Archiving an archived run (or restoring a restored one) is accepted and changes nothing: idempotent.
                if ((row.ArchivedAt is null) == archive) changed.Add(id);
                results.Add(new(id, ExperimentControl.Outcome.Accepted, row.Status));
            }
        }
        if (changed.Count == 0) return results;

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow();
        string? by = archive ? Auth.Actor.Of(user).Name : null;
        // The status is checked again in the update: a run cannot be retried into life between the read and the write.
        await db.Experiments.Where(e => changed.Contains(e.Id) && (!archive || e.Status == ExperimentStatus.Succeeded
                                                                   || e.Status == ExperimentStatus.Failed || e.Status == ExperimentStatus.Cancelled))
            .ExecuteUpdateAsync(u => u.SetProperty(e => e.ArchivedAt, archive ? now : null).SetProperty(e => e.ArchivedBy, by), ct);
        var succeeded = await db.Experiments.AsNoTracking().Where(e => changed.Contains(e.Id) && e.Status == ExperimentStatus.Succeeded)
            .Select(e => new { e.Id, e.ConfigurationHash, e.ProjectId }).ToListAsync(ct);
        // One refresh per configuration and project (any of its experiments names it).
        foreach (var configuration in succeeded.GroupBy(e => (e.ConfigurationHash, e.ProjectId)).Select(g => g.First().Id))
        {
            await LeaderboardProjection.RefreshAsync(db, configuration, ct);
            await LeaderboardIntervals.RefreshAsync(db, configuration, ct);
        }
        await tx.CommitAsync(ct);
        return results;
    }
}
