namespace AdapterLab.Web.Registry;

/// <summary>A registered model in the list: its newest version and the one in production.</summary>
public sealed record ModelSummaryView(string Name, string? Description, string CreatedBy, DateTimeOffset CreatedAt,
    int Versions, int LatestVersion, int? ProductionVersion, string Method, string Preset, string BackboneBlob);

/// <summary>A model with every version, newest first.</summary>
public sealed record ModelView(string Name, string? Description, string CreatedBy, DateTimeOffset CreatedAt, IReadOnlyList<ModelVersionView> Versions);

/// <summary>One version and its lineage: where it came from, what it was trained on, how it scored (with intervals), who registered it.</summary>
public sealed record ModelVersionView(
    string Model, int Version, string Stage, string Method, string Preset, string Dataset, string? LabelFamily, string SourceDomain,
    string AdapterBlob, string BackboneBlob, string? BackboneName, Guid? SourceExperimentId, string ConfigurationHash,
    long TrainableParameters, long TotalParameters, IReadOnlyList<ModelMetric> Metrics,
    string RegisteredBy, DateTimeOffset RegisteredAt, System.Text.Json.JsonElement Spec);

/// <summary>
/// A test metric frozen at registration: the value, its 95 % interval over test examples when per-example predictions
/// were stored (one seed: test-set sampling only), and the floors on the same examples.
/// </summary>
public sealed record ModelMetric(string Split, string Task, string Domain, string Metric, double Value,
    double? Lower, double? Upper, int? Examples, IReadOnlyDictionary<string, double>? Floors);

/// <summary>One audited stage change (or the registration, with no <see cref="From"/>).</summary>
public sealed record ModelStageChangeView(int Version, string? From, string To, string? Comment, string Actor, DateTimeOffset At);

/// <summary>POST /api/models: register a succeeded experiment's adapter as the next version of <see cref="Name"/>.</summary>
public sealed record RegisterModelRequest(string? Name, Guid? ExperimentId, string? Description);

/// <summary>POST /api/models/{name}/versions/{version}/stage.</summary>
public sealed record StageChangeRequest(string? Stage, string? Comment);

/// <summary>Two versions side by side: spec fields that differ (dotted paths), metrics and parameter counts.</summary>
public sealed record ModelDiffView(string Model, int From, int To, bool SameBackbone, bool SameAdapter,
    IReadOnlyList<FieldDifference> Spec, IReadOnlyList<MetricDifference> Metrics, long TrainableFrom, long TrainableTo);

public sealed record FieldDifference(string Path, string? From, string? To);

public sealed record MetricDifference(string Split, string Task, string Domain, string Metric, double? From, double? To);

/// <summary>The inference host's answer to a prediction request: classes per image (<c>kind</c> classification) or every task's map per image (dense).</summary>
public sealed record PredictionAnswer(string Model, int Version, string Method, string Kind, IReadOnlyList<string> Classes, IReadOnlyList<ImagePredictionView> Predictions,
    IReadOnlyList<string>? Tasks = null, IReadOnlyList<DensePredictionView>? Dense = null);

/// <summary>One image's dense maps by task.</summary>
public sealed record DensePredictionView(string Source, IReadOnlyDictionary<string, DenseMapView> Maps);

/// <summary>A task's map: values channel-major ([C, H, W]) in the task's units and a PNG rendering (data URL).</summary>
public sealed record DenseMapView(int Channels, int Height, int Width, float[] Values, string Png);

/// <summary>One image's prediction: where it came from, its label when known (a data-root path in a class folder), the predicted class, the top classes and every class's probability.</summary>
public sealed record ImagePredictionView(string Source, string? Label, string Predicted, int PredictedIndex, IReadOnlyList<ClassProbabilityView> Top, float[] Probabilities);

public sealed record ClassProbabilityView(string Class, double Probability);
