using System.Text.Json;
using System.Text.Json.Nodes;
using AdapterLab.Contracts.Suites;

namespace AdapterLab.Web.Suites;

/// <summary>A suite in lists: its schedule, window, baseline and latest run.</summary>
public sealed record SuiteSummary(string Name, int Version, string? Description, string? Schedule, TimeSpan? Window,
    Guid? BaselineRunId, int Experiments, SuiteRunView? LastRun, DateTimeOffset UpdatedAt);

/// <summary>A suite with its definition and recent runs.</summary>
public sealed record SuiteDetails(string Name, int Version, string? Description, string? Schedule, TimeSpan? Window,
    Guid? BaselineRunId, JsonElement Definition, IReadOnlyList<ExpandedView> Expanded, IReadOnlyList<SuiteRunView> Runs, DateTimeOffset UpdatedAt);

/// <summary>One experiment the suite expands into.</summary>
public sealed record ExpandedView(string Entry, string Label, int Seed, string? Name, string Kind, string Method, string Preset);

/// <summary>A suite run as listed; <see cref="Regressed"/> is true when the summary flags a regression.</summary>
public sealed record SuiteRunView(Guid Id, string Suite, int SuiteVersion, string Status, string Trigger, string? TriggeredBy,
    int ExperimentCount, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, string? Note);

/// <summary><c>GET /api/suite-runs/{id}</c>: progress while running (experiments by outcome, the sweeps it started), the summary once ended.</summary>
public sealed record SuiteRunDetails(Guid Id, string Suite, int SuiteVersion, string Status, string Trigger, string? TriggeredBy,
    DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, string? Note, SuiteRunProgress Progress, JsonElement? Plan, JsonElement? Summary,
    IReadOnlyList<SuiteRunSweep>? Sweeps = null);

/// <summary>A sweep a suite run started (its <c>sweeps</c> entries), where it is now.</summary>
public sealed record SuiteRunSweep(Guid Id, string Name, string Status, string Location);

/// <summary>Counts of the run's experiments by outcome.</summary>
public sealed record SuiteRunProgress(int Total, int Queued, int Running, int Succeeded, int Failed, int Cancelled);

/// <summary>202 answer of a trigger.</summary>
public sealed record SuiteRunAccepted(Guid Id, string Suite, string Status, int ExperimentCount, bool Existing, string Location);

/// <summary>A cost estimate as the API and plans show it.</summary>
public sealed record EstimateView(double MakespanSeconds, double TotalWorkSeconds, int Slots, double? WindowSeconds, bool Fits,
    IReadOnlyList<object> Experiments);

public static class SuiteViews
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static EstimateView Estimate(SuiteCostEstimate e) => new(
        e.Makespan == TimeSpan.MaxValue ? -1 : Math.Round(e.Makespan.TotalSeconds, 1),
        Math.Round(e.TotalWork.TotalSeconds, 1), e.Slots, e.Window?.TotalSeconds, e.Fits,
        e.Experiments.Select(x => (object)new { x.Index, x.Preset, x.Method, imagesPerSecond = Math.Round(x.ImagesPerSecond, 2), x.Source, seconds = Math.Round(x.Duration.TotalSeconds, 1) }).ToList());

    public static SuiteRunView Run(Data.Entities.SuiteRun r, string suite) =>
        new(r.Id, suite, r.SuiteVersion, r.Status, r.Trigger, r.TriggeredBy, r.ExperimentCount, r.CreatedAt, r.FinishedAt, r.Note);

    public static JsonElement? Element(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();

    public static JsonElement Element(JsonNode node) => JsonDocument.Parse(node.ToJsonString()).RootElement.Clone();
}
