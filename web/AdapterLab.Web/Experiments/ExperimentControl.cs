using System.Security.Claims;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using AdapterLab.Web.Outbox;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Experiments;

/// <summary>
/// Cancel and retry requests, shared by the REST API and the dashboard (one code path): checks access and the current
/// status, then records <see cref="CancelRequested"/> / <see cref="RetryRequested"/> in the outbox for the orchestrator,
/// which owns the lifecycle.
/// </summary>
public sealed class ExperimentControl(IDbContextFactory<PlatformDbContext> dbFactory, OutboxPublisher outbox, TimeProvider clock)
{
    public enum Outcome { Accepted, NotFound, Forbidden, Conflict }

    /// <summary>What happened to one request; <see cref="Status"/> is the experiment's status when it was refused.</summary>
    public sealed record Result(Guid Id, Outcome Outcome, ExperimentStatus? Status = null, string? Detail = null);

    public const string CancelRefusal = "only an experiment that has not ended can be cancelled";
    public const string RetryRefusal = "only a Failed or Cancelled experiment can be retried";

    public static bool CanCancel(ExperimentStatus s) => !s.IsTerminal();

    public static bool CanRetry(ExperimentStatus s) => s is ExperimentStatus.Failed or ExperimentStatus.Cancelled;

    public async Task<Result> CancelAsync(Guid id, ClaimsPrincipal user, CancellationToken ct) =>
        (await CancelAsync([id], user, ct))[0];

    public async Task<Result> RetryAsync(Guid id, ClaimsPrincipal user, CancellationToken ct) =>
        (await RetryAsync([id], user, ct))[0];

    /// <summary>Cancels several experiments in one transaction; each is checked on its own.</summary>
    public Task<IReadOnlyList<Result>> CancelAsync(IReadOnlyList<Guid> ids, ClaimsPrincipal user, CancellationToken ct) =>
        RequestAsync(ids, user, CanCancel, CancelRefusal, id => new CancelRequested { ExperimentId = id, Actor = Auth.Actor.Of(user).Name }, ct);

    /// <summary>Retries several experiments in one transaction; each is checked on its own.</summary>
    public Task<IReadOnlyList<Result>> RetryAsync(IReadOnlyList<Guid> ids, ClaimsPrincipal user, CancellationToken ct) =>
        RequestAsync(ids, user, CanRetry, RetryRefusal, id => new RetryRequested { ExperimentId = id, Actor = Auth.Actor.Of(user).Name }, ct);

    private async Task<IReadOnlyList<Result>> RequestAsync<T>(
        IReadOnlyList<Guid> ids, ClaimsPrincipal user, Func<ExperimentStatus, bool> allowed, string refusal, Func<Guid, T> message,
        CancellationToken ct) where T : class
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Experiments.AsNoTracking().Where(e => ids.Contains(e.Id))
            .Select(e => new { e.Id, e.Status, e.OwnerId, e.ProjectId }).ToDictionaryAsync(e => e.Id, ct);
        var now = clock.GetUtcNow();
        var results = new List<Result>(ids.Count);
        var rowsOut = new List<AdapterLab.Data.Outbox.OutboxMessage>();
        foreach (var id in ids)
        {
            if (!rows.TryGetValue(id, out var row) || !Projects.ProjectAccess.Of(user).CanRead(row.ProjectId))
            { results.Add(new(id, Outcome.NotFound, Detail: $"no experiment with id {id}")); continue; }
            if (!ExperimentAccess.CanManage(user, row.ProjectId, row.OwnerId))
            {
                results.Add(new(id, Outcome.Forbidden, row.Status, "only the experiment's owner or its project's admins may do this"));
                continue;
            }
            if (!allowed(row.Status))
            {
                results.Add(new(id, Outcome.Conflict, row.Status, $"{refusal}; the experiment is {row.Status}"));
                continue;
            }
            var outgoing = OutboxEntries.For(message(id), now);
            db.Outbox.Add(outgoing);
            rowsOut.Add(outgoing);
            results.Add(new(id, Outcome.Accepted, row.Status));
        }
        if (results.Any(r => r.Outcome == Outcome.Accepted))
        {
            await db.SaveChangesAsync(ct);
            await outbox.PublishCommittedAsync(rowsOut);
        }
        return results;
    }
}
