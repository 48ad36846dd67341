namespace AdapterLab.Training.Api;

/// <summary>
/// Per-example outcomes of one predictor on one split × task × domain at one evaluation: what the statistics of a
/// comparison are computed from (paired by example id across experiments, intervals that include test-set sampling).
/// Classification fills <see cref="Labels"/>, <see cref="Predicted"/> and <see cref="Probabilities"/>; dense tasks fill
/// <see cref="Metrics"/> with one value per image.
/// </summary>
public sealed record EvaluationPredictions
{
    /// <summary>The trained model's own predictions.</summary>
    public const string ModelPredictor = "model";

    /// <summary>Predictor name of a floor: <c>floor:majority-class</c>, <c>floor:image-blind-prior</c>.</summary>
    public static string FloorPredictor(string floor) => "floor:" + floor;

    public required long Step { get; init; }
    public required string Split { get; init; }
    public required string Task { get; init; }
    public required string Domain { get; init; }

    /// <summary><see cref="ModelPredictor"/>, or a floor (<see cref="FloorPredictor"/>) evaluated on the same examples.</summary>
    public required string Predictor { get; init; }

    /// <summary>Stable ids, one per example, in evaluation order (the same on a split in every experiment).</summary>
    public required IReadOnlyList<string> ExampleIds { get; init; }

    /// <summary>Classification: the true class per example.</summary>
    public IReadOnlyList<int>? Labels { get; init; }

    /// <summary>Classification: the predicted class per example.</summary>
    public IReadOnlyList<int>? Predicted { get; init; }

    /// <summary>
    /// Classification: class probabilities per example, every class when there are at most
    /// <see cref="MaxFullProbabilityClasses"/>, else the top <see cref="MaxFullProbabilityClasses"/> with their class
    /// indices in <see cref="ProbabilityClasses"/>. Null for floors (a constant prediction).
    /// </summary>
    public IReadOnlyList<float[]>? Probabilities { get; init; }

    /// <summary>The class index of each entry of <see cref="Probabilities"/> when they are top-k; null when they cover every class.</summary>
    public IReadOnlyList<int[]>? ProbabilityClasses { get; init; }

    /// <summary>Dense tasks: per-image values of each of the task's metrics (NaN where an image has no valid pixel).</summary>
    public IReadOnlyDictionary<string, double[]>? Metrics { get; init; }

    /// <summary>Dense tasks: per metric, each image's additive parts (layout: <c>DenseMetricParts</c>), for test-set intervals of the dataset-level value.</summary>
    public IReadOnlyDictionary<string, double[][]>? MetricParts { get; init; }

    public const int MaxFullProbabilityClasses = 20;
}
