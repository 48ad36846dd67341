using System.Text.Json;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Web.Experiments;
using AdapterLab.Web.Runs;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Dashboard;

/// <summary>Filters of the experiments page; null or empty means "any".</summary>
public sealed record ExperimentFilter
{
    /// <summary>The projects the list covers: required, so no list forgets to scope (<see cref="Projects.ProjectDirectory"/> resolves it).</summary>
    public required Projects.ProjectScope Projects { get; init; }
    public ExperimentStatus? Status { get; init; }
    public string? Kind { get; init; }
    public string? Method { get; init; }
    public string? Tag { get; init; }
    public string? Suite { get; init; }
    public string? Task { get; init; }
    /// <summary>Source or target domain.</summary>
    public string? Domain { get; init; }
    /// <summary>Name contains (case-insensitive).</summary>
    public string? Name { get; init; }
    public DateTimeOffset? SubmittedFrom { get; init; }
    public DateTimeOffset? SubmittedTo { get; init; }
    /// <summary>The runs table's expression filter (<see cref="RunQueryParser"/>), ANDed with the fields above.</summary>
    public RunCondition? Query { get; init; }
    /// <summary>Archived runs: left out (default), included, or only they.</summary>
    public ArchivedRuns Archived { get; init; }

    /// <summary>No filter at all — every experiment of every project (a platform admin's cross-project view).</summary>
    public bool IsEmpty => this == new ExperimentFilter { Projects = Web.Projects.ProjectScope.All };
}

public enum ArchivedRuns { Exclude, Include, Only }

/// <summary>Which page of the experiment list, in which order.</summary>
/// <param name="Sort">One of <see cref="ExperimentSearch.SortFields"/>, or a run field (<see cref="ExperimentSearch.CanSort"/>):
/// an exact metric (<c>test.classification.fog.accuracy</c>), a spec path, a numeric built-in; null is <c>submittedAt</c>.</param>
/// <param name="Columns">Extra columns whose values the page carries (<see cref="RunColumns"/>).</param>
/// <param name="CountTotal">False for a reader that pages through everything and ignores the total.</param>
/// <param name="PageIndex">0-based page, for offset paging (ignored when <paramref name="Cursor"/> is set).</param>
/// <param name="Cursor">Keyset position (only with the submission-time order, whose direction it must match).</param>
public sealed record ExperimentPageRequest(string? Sort = null, bool Descending = true, int PageIndex = 0, int PageSize = 50, ExperimentCursor? Cursor = null,
    IReadOnlyList<RunField>? Columns = null, bool CountTotal = true)
{
    /// <summary>The submission-time order (the default), which pages by keyset.</summary>
    public bool IsKeysetOrder => Sort is null or "submittedAt";
}

/// <summary>
/// A page of the experiment list; <see cref="TotalIsEstimate"/> when <see cref="Total"/> is a lower bound or planner estimate.
/// <see cref="NextCursor"/> and <see cref="PreviousCursor"/> (submission-time order only) are the keyset positions of the
/// neighbouring pages, null at either end.
/// </summary>
public sealed record ExperimentPage(IReadOnlyList<ExperimentSummary> Items, int Total, bool TotalIsEstimate,
    ExperimentCursor? NextCursor = null, ExperimentCursor? PreviousCursor = null);

/// <summary>
/// Server-side paging, sorting and filtering of experiments that stays fast at 100,000+ rows, for the API and the
/// dashboard alike. The submission-time order pages by keyset — <c>(submitted_at, id)</c> beyond the cursor, read from the
/// <c>(submitted_at DESC, id DESC)</c> index or the one behind an equality filter (status, kind, method, suite, source
/// domain), so a deep page costs what page 1 costs; array filters (tag, task, domain) use GIN indexes. Other orders page
/// by offset. The total is never an unbounded COUNT: exact up to <see cref="CountCap"/>, PostgreSQL's estimate beyond
/// (see <see cref="CountAsync"/>).
/// </summary>
public sealed class ExperimentSearch(IDbContextFactory<PlatformDbContext> dbFactory)
{
    public const int CountCap = 1_000;

    public static readonly IReadOnlyList<string> SortFields = ["submittedAt", "priority", "status", "name", "kind", "method", "updatedAt"];

    public async Task<ExperimentPage> SearchAsync(ExperimentFilter f, ExperimentPageRequest request, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var page = await PageAsync(db, f, request, ct);
        if (request.Columns is not { Count: > 0 } columns || page.Items.Count == 0) return page;
        var values = await RunColumns.ReadAsync(db, page.Items.Select(i => i.Id).ToList(), columns, ct);
        return page with { Items = page.Items.Select(i => i with { Values = values.GetValueOrDefault(i.Id) }).ToList() };
    }

    /// <summary>The rows <paramref name="f"/> selects, before ordering: the expression filter (raw SQL with parameters) under the field filters.</summary>
    public static IQueryable<Experiment> Source(PlatformDbContext db, ExperimentFilter f)
    {
        IQueryable<Experiment> source = db.Experiments;
        if (f.Query is { } query)
        {
            var sql = RunQuerySql.Translate(query);
            // The condition's text comes only from the translator's fixed vocabulary (column names, operators); every user
            // value is a {n} placeholder that becomes a parameter.
#pragma warning disable EF1003
            source = db.Experiments.FromSqlRaw("SELECT * FROM experiments e WHERE " + sql.Where, sql.Values);
#pragma warning restore EF1003
        }
        return Apply(source.AsNoTracking(), f);
    }

    private async Task<ExperimentPage> PageAsync(PlatformDbContext db, ExperimentFilter f, ExperimentPageRequest request, CancellationToken ct)
    {
        var filtered = Source(db, f);
        // A reader that walks every page (the CSV export) needs no total: counting it per page would be the same work 500 times.
        var (total, estimate) = request.CountTotal ? await CountAsync(db, filtered, f.IsEmpty, ct) : (0, true);

        int size = request.PageSize;
        if (!request.IsKeysetOrder)
        {
            if (SortField(request.Sort!) is MetricField metric)
                return new ExperimentPage(await MetricPageAsync(db, filtered, f.Query, metric, request, ct), total, estimate);
            var items = await Project(Order(filtered, request.Sort!, request.Descending).Skip(request.PageIndex * size).Take(size)).ToListAsync(ct);
            return new ExperimentPage(items, total, estimate);
        }

        // Keyset: read one row more than the page to know whether another page follows.
        bool desc = request.Descending;
        var query = filtered;
        var cursor = request.Cursor;
        bool backwards = cursor is { Before: true };
        if (cursor is not null)
        {
            var at = cursor.SubmittedAt;
            var id = cursor.Id;
            // Rows beyond the cursor in the direction of travel: (submitted_at, id) compared as a row value, which the
            // btree index answers as a range.
            bool older = desc != backwards;
            query = older
                ? query.Where(e => EF.Functions.LessThan(ValueTuple.Create(e.SubmittedAt, e.Id), ValueTuple.Create(at, id)))
                : query.Where(e => EF.Functions.GreaterThan(ValueTuple.Create(e.SubmittedAt, e.Id), ValueTuple.Create(at, id)));
        }
        bool readDescending = desc != backwards;
        query = readDescending
            ? query.OrderByDescending(e => e.SubmittedAt).ThenByDescending(e => e.Id)
            : query.OrderBy(e => e.SubmittedAt).ThenBy(e => e.Id);
        if (cursor is null && request.PageIndex > 0) query = query.Skip(request.PageIndex * size);
        var page = await Project(query.Take(size + 1)).ToListAsync(ct);
        bool more = page.Count > size;
        if (more) page.RemoveAt(page.Count - 1);
        if (backwards) page.Reverse();
        if (page.Count == 0) return new ExperimentPage(page, total, estimate);

        // Going forward, "more" means a next page; going back, it means a previous one. The other side exists whenever
        // the request started from a cursor or an offset.
        bool hasNext = backwards ? true : more;
        bool hasPrevious = backwards ? more : cursor is not null || request.PageIndex > 0;
        var (first, last) = (page[0], page[^1]);
        return new ExperimentPage(page, total, estimate,
            hasNext ? new ExperimentCursor(last.SubmittedAt, last.Id, desc) : null,
            hasPrevious ? new ExperimentCursor(first.SubmittedAt, first.Id, desc, Before: true) : null);
    }

    /// <summary>True when <paramref name="sort"/> is a sort this search can do.</summary>
    public static bool CanSort(string? sort) => sort is null || SortFields.Contains(sort) || SortField(sort) is not null;

    /// <summary>
    /// The run field a sort names beyond <see cref="SortFields"/>: an exact metric, a spec path, or a numeric or time
    /// built-in; null for anything else.
    /// </summary>
    public static RunField? SortField(string sort)
    {
        if (SortFields.Contains(sort)) return null;
        try
        {
            return RunQueryParser.ParseField(sort) switch
            {
                MetricField { IsExact: true } m => m,
                SpecField s => s,
                BuiltinField { Info.Kind: BuiltinKind.Number or BuiltinKind.Time } b when NumericSorts.ContainsKey(b.Info.Name) => b,
                _ => null,
            };
        }
        catch (RunQueryException) { return null; }
    }

    /// <summary>Numeric and time built-ins a page can be sorted by, with what they sort on (nulls last either way).</summary>
    private static readonly Dictionary<string, System.Linq.Expressions.Expression<Func<Experiment, double?>>> NumericSorts = new()
    {
        ["seed"] = e => e.Seed,
        ["params"] = e => e.TrainableParameters,
        ["totalParams"] = e => e.TotalParameters,
        ["steps"] = e => e.TotalSteps,
        ["attempts"] = e => e.AttemptCount,
        ["imagesPerSecond"] = e => e.ImagesPerSecond,
    };

    /// <summary>
    /// A page in the order of one metric: first the runs that have it (an ordered read of <c>ix_final_results_column</c>
    /// joined to the filtered runs), then — once those run out — the runs without it, newest first, as a spreadsheet puts
    /// blanks last.
    /// </summary>
    private static async Task<List<ExperimentSummary>> MetricPageAsync(PlatformDbContext db, IQueryable<Experiment> filtered, RunCondition? condition, MetricField m,
        ExperimentPageRequest request, CancellationToken ct)
    {
        var results = db.FinalResults.Where(r => r.Split == m.Split && r.Task == m.Task && r.Domain == m.Domain && r.Metric == m.Metric);
        var with = from e in filtered join r in results on e.Id equals r.ExperimentId select new { e, r.Value };
        var ordered = request.Descending
            ? with.OrderByDescending(x => x.Value).ThenByDescending(x => x.e.Id)
            : with.OrderBy(x => x.Value).ThenBy(x => x.e.Id);
        int size = request.PageSize, offset = request.PageIndex * size;
        var page = await Project(ordered.Select(x => x.e).Skip(offset).Take(size)).ToListAsync(ct);
        if (page.Count == size || Requires(condition, m)) return page;
        int withCount = page.Count > 0 ? offset + page.Count : await with.CountAsync(ct);
        var without = filtered.Where(e => !results.Any(r => r.ExperimentId == e.Id))
            .OrderByDescending(e => e.SubmittedAt).ThenByDescending(e => e.Id);
        page.AddRange(await Project(without.Skip(Math.Max(0, offset - withCount)).Take(size - page.Count)).ToListAsync(ct));
        return page;
    }

    /// <summary>
    /// True when the filter itself demands the metric (a top-level condition on it, e.g. sorting by test fog accuracy
    /// while filtering <c>test.accuracy &gt; 0.8</c>): then no run lacks it and the blanks' read — an anti-join over every
    /// filtered run — is skipped.
    /// </summary>
    private static bool Requires(RunCondition? filter, MetricField m) => filter switch
    {
        AdapterLab.Web.Runs.Comparison { Field: MetricField f, Op: not (CompareOp.NotEqual or CompareOp.NotContains) } =>
            f == m, // exactly this split, task, domain and metric: a partial reference may be met by another domain's row
        AllOf all => all.Parts.Any(p => Requires(p, m)),
        _ => false,
    };

    private static IQueryable<Experiment> Order(IQueryable<Experiment> query, string sort, bool descending)
    {
        switch (SortField(sort))
        {
            case SpecField s:
            {
                var path = s.Path.ToArray();
                var nullsLast = query.OrderBy(e => SpecFunctions.SpecValue(e.SpecJson, path) == null);
                return descending
                    ? nullsLast.ThenByDescending(e => SpecFunctions.SpecValue(e.SpecJson, path)).ThenByDescending(e => e.Id)
                    : nullsLast.ThenBy(e => SpecFunctions.SpecValue(e.SpecJson, path)).ThenBy(e => e.Id);
            }
            case BuiltinField b:
            {
                var key = NumericSorts[b.Info.Name];
                var nullsLast = query.OrderBy(Nulls(key));
                return descending ? nullsLast.ThenByDescending(key).ThenByDescending(e => e.Id) : nullsLast.ThenBy(key).ThenBy(e => e.Id);
            }
        }
        return LegacyOrder(query, sort, descending);
    }

    private static System.Linq.Expressions.Expression<Func<Experiment, bool>> Nulls(System.Linq.Expressions.Expression<Func<Experiment, double?>> key) =>
        System.Linq.Expressions.Expression.Lambda<Func<Experiment, bool>>(
            System.Linq.Expressions.Expression.Equal(key.Body, System.Linq.Expressions.Expression.Constant(null, typeof(double?))), key.Parameters);

    private static IQueryable<Experiment> LegacyOrder(IQueryable<Experiment> query, string sort, bool descending) => (sort, descending) switch
    {
        // The dispatch order: highest priority first, then the oldest.
        ("priority", true) => query.OrderByDescending(e => e.Priority).ThenBy(e => e.SubmittedAt).ThenBy(e => e.Id),
        ("priority", false) => query.OrderBy(e => e.Priority).ThenBy(e => e.SubmittedAt).ThenBy(e => e.Id),
        ("status", true) => query.OrderByDescending(e => e.Status).ThenByDescending(e => e.SubmittedAt).ThenByDescending(e => e.Id),
        ("status", false) => query.OrderBy(e => e.Status).ThenByDescending(e => e.SubmittedAt).ThenByDescending(e => e.Id),
        ("name", true) => query.OrderByDescending(e => e.Name).ThenByDescending(e => e.SubmittedAt).ThenByDescending(e => e.Id),
        ("name", false) => query.OrderBy(e => e.Name).ThenByDescending(e => e.SubmittedAt).ThenByDescending(e => e.Id),
        ("kind", true) => query.OrderByDescending(e => e.Kind).ThenByDescending(e => e.SubmittedAt).ThenByDescending(e => e.Id),
        ("kind", false) => query.OrderBy(e => e.Kind).ThenByDescending(e => e.SubmittedAt).ThenByDescending(e => e.Id),
        ("method", true) => query.OrderByDescending(e => e.Method).ThenByDescending(e => e.SubmittedAt).ThenByDescending(e => e.Id),
        ("method", false) => query.OrderBy(e => e.Method).ThenByDescending(e => e.SubmittedAt).ThenByDescending(e => e.Id),
        ("updatedAt", true) => query.OrderByDescending(e => e.UpdatedAt).ThenByDescending(e => e.Id),
        ("updatedAt", false) => query.OrderBy(e => e.UpdatedAt).ThenBy(e => e.Id),
        _ => throw new ArgumentOutOfRangeException(nameof(sort), sort, "unknown sort field"),
    };

    private static IQueryable<ExperimentSummary> Project(IQueryable<Experiment> query) =>
        query.Select(e => new ExperimentSummary(e.Id, e.Name, e.Kind, e.Method, e.Preset, e.Status.ToString(), e.Priority, e.Pool,
            e.Step, e.TotalSteps, e.WaitingReason, e.FailureReason, e.Tags, e.Suite, e.Owner, e.TrainableParameters,
            e.SubmittedAt, e.UpdatedAt, e.FinishedAt) { ArchivedAt = e.ArchivedAt });

    public static IQueryable<Experiment> Apply(IQueryable<Experiment> q, ExperimentFilter f)
    {
        if (f.Projects.Ids is { } projects) q = q.Where(e => projects.Contains(e.ProjectId));
        if (f.Status is { } s) q = q.Where(e => e.Status == s);
        if (!string.IsNullOrWhiteSpace(f.Kind)) q = q.Where(e => e.Kind == f.Kind);
        if (!string.IsNullOrWhiteSpace(f.Method)) q = q.Where(e => e.Method == f.Method);
        if (!string.IsNullOrWhiteSpace(f.Tag)) q = q.Where(e => e.Tags.Contains(f.Tag.Trim()));
        if (!string.IsNullOrWhiteSpace(f.Suite)) q = q.Where(e => e.Suite == f.Suite.Trim());
        if (!string.IsNullOrWhiteSpace(f.Task)) q = q.Where(e => e.Tasks.Contains(f.Task));
        if (!string.IsNullOrWhiteSpace(f.Domain)) q = q.Where(e => e.SourceDomain == f.Domain || e.TargetDomains.Contains(f.Domain));
        if (!string.IsNullOrWhiteSpace(f.Name))
        {
            var pattern = RunQuerySql.Like(f.Name.Trim());
            q = q.Where(e => EF.Functions.ILike(e.Name!, pattern));
        }
        q = f.Archived switch
        {
            ArchivedRuns.Exclude => q.Where(e => e.ArchivedAt == null),
            ArchivedRuns.Only => q.Where(e => e.ArchivedAt != null),
            _ => q,
        };
        if (f.SubmittedFrom is { } from) q = q.Where(e => e.SubmittedAt >= from);
        if (f.SubmittedTo is { } to) q = q.Where(e => e.SubmittedAt < to);
        return q;
    }

    /// <summary>
    /// The total for a page: exact while it is small, PostgreSQL's estimate when it is large. Counting is the expensive
    /// part of a filtered page (an array filter reads a heap row per match), so a large table is asked for its planner
    /// estimate first — the table's row estimate without filters, the query plan's with them — and counted exactly only
    /// when that estimate is within <see cref="CountCap"/>; the exact count itself stops one past the cap.
    /// </summary>
    private static async Task<(int Total, bool Estimate)> CountAsync(PlatformDbContext db, IQueryable<Experiment> filtered, bool unfiltered, CancellationToken ct)
    {
        // A small (or never analyzed) table: counting is cheap and its statistics may not be there yet.
        if (await EstimatedRowsAsync(db, ct) is { } rows && rows > CountCap)
        {
            if (unfiltered) return ((int)Math.Min(rows, int.MaxValue), true);
            var planned = await PlannedRowsAsync(db, filtered, ct);
            if (planned > CountCap) return ((int)Math.Min(planned, int.MaxValue), true);
        }
        int exact = await filtered.Take(CountCap + 1).CountAsync(ct);
        return (exact, exact > CountCap);
    }

    /// <summary>The planner's row estimate for <paramref name="query"/> (EXPLAIN: planned, not run).</summary>
    private static async Task<long> PlannedRowsAsync(PlatformDbContext db, IQueryable<Experiment> query, CancellationToken ct)
    {
        await using var command = query.Select(e => e.Id).CreateDbCommand();
        command.CommandText = "EXPLAIN (FORMAT JSON) " + command.CommandText;
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var plan = (string)(await command.ExecuteScalarAsync(ct))!;
            using var doc = JsonDocument.Parse(plan);
            return (long)doc.RootElement[0].GetProperty("Plan").GetProperty("Plan Rows").GetDouble();
        }
        finally { await db.Database.CloseConnectionAsync(); }
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
