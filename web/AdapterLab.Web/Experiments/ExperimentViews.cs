using System.Text.Json;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Web.Experiments;

// The experiments API's response shapes: one cohesive group, documented for OpenAPI.

/// <summary>Answer to a submission or clone.</summary>
/// <param name="Id">The new experiment's id.</param>
/// <param name="Status">Its status (always <c>Queued</c> at submission).</param>
public sealed record SubmittedExperiment(Guid Id, string Status);

/// <summary>One row of the experiment list.</summary>
public sealed record ExperimentSummary(
    Guid Id, string? Name, string Kind, string Method, string Preset, string Status, int Priority, string Pool,
    long Step, long TotalSteps, string? WaitingReason, string? FailureReason, string[] Tags, string? Suite, string? Owner,
    long TrainableParameters, DateTimeOffset SubmittedAt, DateTimeOffset UpdatedAt, DateTimeOffset? FinishedAt)
{
    /// <summary>The requested columns' values (<c>columns=</c>: metrics, spec fields, built-ins) by column; absent without columns.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, object?>? Values { get; init; }

    /// <summary>When it was archived (archived runs are listed only with <c>archived=include</c> or <c>only</c>).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? ArchivedAt { get; init; }
}

/// <summary>A page of the experiment list.</summary>
/// <param name="Page">1-based page number of an offset request; null when the page was asked for by cursor.</param>
/// <param name="PageSize">Items per page (at most 200).</param>
/// <param name="Total">Experiments matching the filters, all pages together: exact up to 1,000.</param>
/// <param name="TotalIsEstimate">True when <paramref name="Total"/> is PostgreSQL's estimate (or 1,001: more than 1,000).</param>
/// <param name="Items">This page's items.</param>
/// <param name="NextCursor">Pass as <c>cursor</c> for the next (older) page; null on the last page or with <c>sort=priority</c>.</param>
/// <param name="PreviousCursor">Pass as <c>cursor</c> for the previous (newer) page; null on the first page.</param>
public sealed record ExperimentListPage(int? Page, int PageSize, int Total, bool TotalIsEstimate, IReadOnlyList<ExperimentSummary> Items,
    string? NextCursor, string? PreviousCursor);

/// <summary>An experiment with its attempts, final results, artifacts and spec.</summary>
public sealed record ExperimentDetails
{
    public Guid Id { get; init; }
    public string? Name { get; init; }
    /// <summary>The experiment's tags now (editable after submission; the spec keeps the ones it was submitted with).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>The owner's markdown notes (the lab notebook), or null.</summary>
    public string? Notes { get; init; }
    public DateTimeOffset? ArchivedAt { get; init; }
    public string Kind { get; init; } = "";
    public string Method { get; init; } = "";
    public string Status { get; init; } = "";
    /// <summary>Why a queued experiment is not running yet (e.g. waiting for a backbone).</summary>
    public string? WaitingReason { get; init; }
    public string? FailureReason { get; init; }
    public long Step { get; init; }
    public long TotalSteps { get; init; }
    public int Priority { get; init; }
    public string Pool { get; init; } = "";
    public string? Owner { get; init; }
    /// <summary>The owner by id (<c>user:…</c> or <c>key:…</c>): what ownership checks compare.</summary>
    public string? OwnerId { get; init; }
    /// <summary>The project it belongs to, by id and by name.</summary>
    public Guid ProjectId { get; init; }
    public string Project { get; init; } = "";
    public long TrainableParameters { get; init; }
    public long TotalParameters { get; init; }
    /// <summary>sha256 of the final output checkpoint (download through the blob endpoints).</summary>
    public string? OutputBlob { get; init; }
    /// <summary>sha256 of the backbone weights the experiment ran on (pinned at dispatch).</summary>
    public string? BackboneBlob { get; init; }
    public string? RequiresBackbone { get; init; }
    public string? RegistersBackbone { get; init; }
    public double? ImagesPerSecond { get; init; }
    public long? PeakMemoryBytes { get; init; }
    public bool CancelRequested { get; init; }
    public string SpecHash { get; init; } = "";
    public string ConfigurationHash { get; init; } = "";
    public DateTimeOffset SubmittedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public IReadOnlyList<AttemptView> Attempts { get; init; } = [];
    public IReadOnlyList<FinalResultView> Results { get; init; } = [];
    public ExperimentSpec Spec { get; init; } = new();
}

/// <summary>One attempt: which agent ran it, how far it got, its lease and provenance.</summary>
public sealed record AttemptView(
    int Number, string AgentId, string Status, DateTimeOffset DispatchedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    DateTimeOffset LeaseExpiresAt, DateTimeOffset? LastHeartbeatAt, long Step, long StartStep, string? FailureReason,
    string? BackboneBlob, JsonElement? Provenance);

/// <summary>A final metric per split × task × domain.</summary>
public sealed record FinalResultView(string Split, string Task, string Domain, string Metric, double Value);

/// <summary>One metric value at one step.</summary>
public sealed record MetricPointView(string Name, string Split, string Task, string Domain, long Step, int Attempt, double Value);

/// <summary>One audit-log entry.</summary>
public sealed record TransitionView(int Attempt, string From, string To, string Actor, string? Reason, DateTimeOffset At);
