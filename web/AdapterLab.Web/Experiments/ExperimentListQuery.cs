using AdapterLab.Contracts.Lifecycle;

namespace AdapterLab.Web.Experiments;

/// <summary>Filters, sort and paging of <c>GET /api/experiments</c>.</summary>
public sealed record ExperimentListQuery
{
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
    /// <summary><c>submittedAt</c> (newest first, default) or <c>priority</c> (highest first, then oldest).</summary>
    public string? Sort { get; init; }

    public const int MaxPageSize = 200;

    /// <summary>Offset paging stops here (page × size stays far from overflow and from full scans); cursors go anywhere.</summary>
    public const int MaxPage = 10_000;
    public const int DefaultPageSize = 50;
}
