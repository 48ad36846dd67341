using AdapterLab.Contracts.Lifecycle;

namespace AdapterLab.Web.Experiments;

/// <summary>Filters, sort and paging of <c>GET /api/experiments</c>.</summary>
public sealed record ExperimentListQuery
{
    /// <summary>The project (its name); <c>*</c> for every project you may read; default: your current project (a project key's own).</summary>
    public string? Project { get; init; }
    /// <summary>1-based page for offset paging (default 1); give either page or cursor.</summary>
    public int? Page { get; init; }
    /// <summary>Keyset position from a previous answer's <c>nextCursor</c> or <c>previousCursor</c> (opaque; submittedAt order only).</summary>
    public string? Cursor { get; init; }
    /// <summary>Items per page, 1–200 (default 50).</summary>
    public int? PageSize { get; init; }
    /// <summary>Only this status (Queued, Dispatched, Running, Succeeded, Failed, Cancelled, Lost).</summary>
    public ExperimentStatus? Status { get; init; }
    /// <summary>Only this kind (pretrain, adapt, evaluate, …).</summary>
    public string? Kind { get; init; }
    /// <summary>Only this method.</summary>
    public string? Method { get; init; }
    /// <summary>Only experiments carrying this tag.</summary>
    public string? Tag { get; init; }
    /// <summary>Only experiments of this suite.</summary>
    public string? Suite { get; init; }
    /// <summary>Only experiments training or evaluating this task (classification, segmentation, depth, normals, edges).</summary>
    public string? Task { get; init; }
    /// <summary>Only experiments with this source or target domain.</summary>
    public string? Domain { get; init; }
    /// <summary>Submitted at or after this instant.</summary>
    public DateTimeOffset? SubmittedFrom { get; init; }
    /// <summary>Submitted before this instant.</summary>
    public DateTimeOffset? SubmittedTo { get; init; }
    /// <summary>Only experiments whose name contains this (case-insensitive).</summary>
    public string? Name { get; init; }
    /// <summary>
    /// An expression filter, e.g. <c>test.accuracy &gt; 0.5 and method = lora and method.rank &gt;= 8 and tag:demo</c>: built-in
    /// fields, final metrics (<c>split[.task][.domain].metric</c>), spec paths (<c>training.learningRate</c>), <c>tag:x</c>,
    /// bare words (name contains); <c>and</c>, <c>or</c>, <c>not</c>, parentheses.
    /// </summary>
    public string? Q { get; init; }
    /// <summary>Extra columns, comma-separated (a metric <c>split.task.domain.metric</c>, a spec path, a built-in); each item then carries <c>values</c>.</summary>
    public string? Columns { get; init; }
    /// <summary>Archived experiments: <c>exclude</c> (default), <c>include</c> or <c>only</c>.</summary>
    public string? Archived { get; init; }
    /// <summary>
    /// <c>submittedAt</c> (newest first, default), <c>priority</c> (highest first, then oldest), or a run field — an exact
    /// metric (<c>test.classification.fog.accuracy</c>; runs without it last), a spec path, <c>params</c>, <c>seed</c>, … — in
    /// <c>dir</c> order (offset paging).
    /// </summary>
    public string? Sort { get; init; }
    /// <summary><c>desc</c> (default) or <c>asc</c>, for a field sort.</summary>
    public string? Dir { get; init; }

    public const int MaxPageSize = 200;

    /// <summary>Offset paging stops here (page × size stays far from overflow and from full scans); cursors go anywhere.</summary>
    public const int MaxPage = 10_000;
    public const int DefaultPageSize = 50;
}
