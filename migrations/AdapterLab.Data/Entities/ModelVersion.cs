namespace AdapterLab.Data.Entities;

/// <summary>
/// One version of a registered model: an experiment's adapter (its trained tensors and head, <see cref="AdapterBlob"/>)
/// bound to the backbone file it was trained on (<see cref="BackboneBlob"/>, the sha256 every load checks), with its
/// lineage frozen at registration: experiment, resolved spec, data, metrics with intervals, who and when. The blobs are
/// the experiment's own, content-addressed: a hundred versions on one backbone store it once.
/// </summary>
public sealed class ModelVersion
{
    public const string Candidate = "candidate";
    public const string Production = "production";
    public const string Archived = "archived";
    public static readonly IReadOnlyList<string> Stages = [Candidate, Production, Archived];

    public long Id { get; set; }
    public string ModelName { get; set; } = "";
    public int Version { get; set; }
    /// <summary><see cref="Candidate"/>, <see cref="Production"/> (at most one per model) or <see cref="Archived"/>.</summary>
    public string Stage { get; set; } = Candidate;
    public string Method { get; set; } = "";
    public string Preset { get; set; } = "";
    public string Dataset { get; set; } = "";
    public string? LabelFamily { get; set; }
    public string SourceDomain { get; set; } = "";
    public string AdapterBlob { get; set; } = "";
    public string BackboneBlob { get; set; } = "";
    /// <summary>The named backbone it was trained on, when it had a name (the hash is what binds).</summary>
    public string? BackboneName { get; set; }
    public Guid? SourceExperimentId { get; set; }
    public string SpecJson { get; set; } = "{}";
    public string ConfigurationHash { get; set; } = "";
    /// <summary>Test metrics at registration with their intervals (JSON list of <c>ModelMetric</c>).</summary>
    public string MetricsJson { get; set; } = "[]";
    public long TrainableParameters { get; set; }
    public long TotalParameters { get; set; }
    public string RegisteredBy { get; set; } = "";
    public string? RegisteredById { get; set; }
    public DateTimeOffset RegisteredAt { get; set; }
    public RegisteredModel? Model { get; set; }
}
