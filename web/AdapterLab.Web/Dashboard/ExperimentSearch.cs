using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Web.Experiments;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Dashboard;

/// <summary>Filters of the experiments page; null or empty means "any".</summary>
public sealed record ExperimentFilter
{
    public ExperimentStatus? Status { get; init; }
    public string? Kind { get; init; }
    public string? Method { get; init; }
    public string? Tag { get; init; }
    public string? Suite { get; init; }
    public string? Task { get; init; }
    /// <summary>Source or target domain.</summary>
    public string? Domain { get; init; }
    /// <summary>Name starts with (case-insensitive).</summary>
    public string? Name { get; init; }
    public DateTimeOffset? SubmittedFrom { get; init; }
    public DateTimeOffset? SubmittedTo { get; init; }

    public bool IsEmpty => this == new ExperimentFilter();
}

/// <summary>A page of the experiment list; <see cref="TotalIsEstimate"/> when <see cref="Total"/> is a lower bound or planner estimate.</summary>
public sealed record ExperimentPage(IReadOnlyList<ExperimentSummary> Items, int Total, bool TotalIsEstimate);

/// <summary>
/// Server-side paging, sorting and filtering of experiments that stays fast at 100,000+ rows: the default order follows the
/// <c>submitted_at</c> index, and the total is never an unbounded COUNT — without filters it is PostgreSQL's row estimate
/// once the table is large, with filters the count stops at <see cref="CountCap"/>.
/// </summary>
public sealed class ExperimentSearch(IDbContextFactory<PlatformDbContext> dbFactory)
{
    public const int CountCap = 10_000;

    public static readonly IReadOnlyList<string> SortFields = ["submittedAt", "priority", "status", "name", "kind", "method", "updatedAt"];

    public async Task<ExperimentPage> SearchAsync(ExperimentFilter f, string? sort, bool descending, int page, int pageSize, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = Apply(db.Experiments.AsNoTracking(), f);

        int total;
        bool estimate = false;
        if (f.IsEmpty && await EstimatedRowsAsync(db, ct) is { } rows && rows > CountCap)
            (total, estimate) = ((int)Math.Min(rows, int.MaxValue), true);
        else
        {
            total = await query.Take(CountCap + 1).CountAsync(ct);
            estimate = total > CountCap;
        }

        query = (sort ?? "submittedAt", descending) switch
        {
            ("priority", true) => query.OrderByDescending(e => e.Priority).ThenBy(e => e.SubmittedAt),
            ("priority", false) => query.OrderBy(e => e.Priority).ThenBy(e => e.SubmittedAt),
            ("status", true) => query.OrderByDescending(e => e.Status).ThenByDescending(e => e.SubmittedAt),
            ("status", false) => query.OrderBy(e => e.Status).ThenByDescending(e => e.SubmittedAt),
            ("name", true) => query.OrderByDescending(e => e.Name).ThenByDescending(e => e.SubmittedAt),
            ("name", false) => query.OrderBy(e => e.Name).ThenByDescending(e => e.SubmittedAt),
            ("kind", true) => query.OrderByDescending(e => e.Kind).ThenByDescending(e => e.SubmittedAt),
            ("kind", false) => query.OrderBy(e => e.Kind).ThenByDescending(e => e.SubmittedAt),
            ("method", true) => query.OrderByDescending(e => e.Method).ThenByDescending(e => e.SubmittedAt),
            ("method", false) => query.OrderBy(e => e.Method).ThenByDescending(e => e.SubmittedAt),
            ("updatedAt", true) => query.OrderByDescending(e => e.UpdatedAt),
            ("updatedAt", false) => query.OrderBy(e => e.UpdatedAt),
            (_, false) => query.OrderBy(e => e.SubmittedAt).ThenBy(e => e.Id),
            _ => query.OrderByDescending(e => e.SubmittedAt).ThenByDescending(e => e.Id),
        };
        var items = await query.Skip(page * pageSize).Take(pageSize)
            .Select(e => new ExperimentSummary(e.Id, e.Name, e.Kind, e.Method, e.Preset, e.Status.ToString(), e.Priority, e.Pool,
                e.Step, e.TotalSteps, e.WaitingReason, e.FailureReason, e.Tags, e.Suite, e.Owner, e.TrainableParameters,
                e.SubmittedAt, e.UpdatedAt, e.FinishedAt))
            .ToListAsync(ct);
        return new ExperimentPage(items, total, estimate);
    }

    public static IQueryable<Experiment> Apply(IQueryable<Experiment> q, ExperimentFilter f)
    {
        if (f.Status is { } s) q = q.Where(e => e.Status == s);
        if (!string.IsNullOrWhiteSpace(f.Kind)) q = q.Where(e => e.Kind == f.Kind);
        if (!string.IsNullOrWhiteSpace(f.Method)) q = q.Where(e => e.Method == f.Method);
        if (!string.IsNullOrWhiteSpace(f.Tag)) q = q.Where(e => e.Tags.Contains(f.Tag.Trim()));
        if (!string.IsNullOrWhiteSpace(f.Suite)) q = q.Where(e => e.Suite == f.Suite.Trim());
        if (!string.IsNullOrWhiteSpace(f.Task)) q = q.Where(e => e.Tasks.Contains(f.Task));
        if (!string.IsNullOrWhiteSpace(f.Domain)) q = q.Where(e => e.SourceDomain == f.Domain || e.TargetDomains.Contains(f.Domain));
        if (!string.IsNullOrWhiteSpace(f.Name))
        {
            var prefix = f.Name.Trim().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
            q = q.Where(e => EF.Functions.ILike(e.Name!, prefix));
        }
        if (f.SubmittedFrom is { } from) q = q.Where(e => e.SubmittedAt >= from);
        if (f.SubmittedTo is { } to) q = q.Where(e => e.SubmittedAt < to);
        return q;
    }

    /// <summary>PostgreSQL's own row estimate for the experiments table (null before the first ANALYZE).</summary>
    private static async Task<long?> EstimatedRowsAsync(PlatformDbContext db, CancellationToken ct)
    {
        var estimate = await db.Database
            .SqlQueryRaw<long>("SELECT reltuples::bigint AS \"Value\" FROM pg_class WHERE oid = 'experiments'::regclass")
            .FirstOrDefaultAsync(ct);
        return estimate > 0 ? estimate : null;
    }
}
