using AdapterLab.Statistics;

namespace AdapterLab.Contracts.Predictions;

/// <summary>
/// Turns stored predictions into the statistics library's inputs: a seeds × examples table of per-example outcomes
/// (accuracy, or a dense metric's pseudo-values), aligned on the example ids every run shares, and the floor on the same examples. Used by the compare API and by the
/// leaderboard projection, so both compute the same numbers.
/// </summary>
public static class PredictionTables
{
    /// <summary>The model's set for a split × task × domain with per-example outcomes of <paramref name="metric"/>: labels and predictions for accuracy, per-image parts for a dense metric.</summary>
    public static PredictionSet? Model(PredictionsFile? file, string split, string task, string domain, string metric = "accuracy") =>
        file?.Sets.FirstOrDefault(s => s.Split == split && s.Task == task && s.Domain == domain && s.Predictor == PredictionSet.ModelPredictor && HasOutcomes(s, metric));

    /// <summary>Whether per-example outcomes of <paramref name="metric"/> can be had from <paramref name="set"/>.</summary>
    public static bool HasOutcomes(PredictionSet set, string metric) =>
        metric == "accuracy" ? set.Labels is not null && set.Predicted is not null
        : DenseMetricParts.Supports(metric) && set.MetricParts?.GetValueOrDefault(metric) is { Length: > 0 };

    /// <summary>Whether any stored predictions could give per-example outcomes of <paramref name="metric"/>.</summary>
    public static bool Supports(string metric) => metric == "accuracy" || DenseMetricParts.Supports(metric);

    /// <summary>The ids present in every set, in the first set's order (duplicates once).</summary>
    public static IReadOnlyList<string> CommonIds(IReadOnlyList<PredictionSet> sets)
    {
        if (sets.Count == 0) return [];
        // The usual case: every run evaluated the same test set in the same order.
        var first = sets[0].ExampleIds;
        if (sets.Skip(1).All(s => SameIds(s.ExampleIds, first)) && new HashSet<string>(first, StringComparer.Ordinal).Count == first.Count) return first;
        var common = new HashSet<string>(sets[0].ExampleIds, StringComparer.Ordinal);
        foreach (var s in sets.Skip(1)) common.IntersectWith(s.ExampleIds);
        return sets[0].ExampleIds.Where(common.Contains).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>1/0 correctness of <paramref name="set"/> on <paramref name="ids"/>, in that order.</summary>
    public static double[] Correctness(PredictionSet set, IReadOnlyList<string> ids) =>
        Select(set.Correct ?? throw new ArgumentException("not a classification prediction set"), set.ExampleIds, ids);

    /// <summary>
    /// Per-example outcomes of <paramref name="metric"/> on <paramref name="ids"/>, in that order, whose mean is the metric
    /// on those examples: 1/0 correctness for accuracy; for a dense metric the jackknife pseudo-values of the images' parts
    /// (<see cref="DenseMetricParts.Outcomes"/>), so the dataset-level mIoU or RMSE gets a test-set interval.
    /// </summary>
    public static double[] Outcomes(PredictionSet set, string metric, IReadOnlyList<string> ids)
    {
        if (metric == "accuracy") return Correctness(set, ids);
        var parts = set.MetricParts?.GetValueOrDefault(metric) ?? throw new ArgumentException($"no per-image parts of '{metric}'");
        return DenseMetricParts.Outcomes(metric, Select(parts, set.ExampleIds, ids));
    }

    /// <summary>Seeds (in the given order) × shared examples of per-example outcomes of <paramref name="metric"/>; null when a run lacks them or nothing is shared.</summary>
    public static SeedExampleTable? OutcomeTable(IReadOnlyList<PredictionsFile?> runs, string split, string task, string domain, string metric, IReadOnlyList<string>? ids = null)
    {
        if (!Supports(metric)) return null;
        var sets = runs.Select(r => Model(r, split, task, domain, metric)).ToList();
        if (sets.Count == 0 || sets.Any(s => s is null)) return null;
        ids ??= CommonIds(sets!);
        if (ids.Count == 0) return null;
        return new SeedExampleTable(sets.Select(s => Outcomes(s!, metric, ids)).ToList());
    }

    /// <summary>The values at <paramref name="ids"/> of a list aligned with <paramref name="setIds"/> (a copy).</summary>
    private static T[] Select<T>(IReadOnlyList<T> values, IReadOnlyList<string> setIds, IReadOnlyList<string> ids)
    {
        if (SameIds(setIds, ids)) return values.ToArray();
        var index = new Dictionary<string, int>(setIds.Count, StringComparer.Ordinal);
        for (int i = 0; i < setIds.Count; i++) index.TryAdd(setIds[i], i);
        return ids.Select(id => values[index[id]]).ToArray();
    }

    /// <summary>
    /// The floor's score on a metric, and its name: accuracy from its predictions; a dense metric from its per-image parts
    /// (the dataset-level value), or in files without parts the mean of its per-image values.
    /// </summary>
    public static (double Value, string Name)? Floor(PredictionsFile? file, string split, string task, string domain, string metric)
    {
        var floor = file?.Sets.FirstOrDefault(s => s.Split == split && s.Task == task && s.Domain == domain && s.IsFloor);
        if (floor is null) return null;
        string name = floor.Predictor["floor:".Length..];
        if (metric == "accuracy" && floor.Correct is { Length: > 0 } c) return (c.Average(), name);
        if (DenseMetricParts.Supports(metric) && floor.MetricParts?.GetValueOrDefault(metric) is { Length: > 0 } parts
            && DenseMetricParts.Value(metric, parts) is var v && double.IsFinite(v))
            return (v, name);
        if (floor.Metrics?.GetValueOrDefault(metric) is { } values && values.Any(v => v is not null))
            return (values.Where(v => v is not null).Average(v => v!.Value), name);
        return null;
    }

    private static bool SameIds(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++)
            if (!string.Equals(a[i], b[i], StringComparison.Ordinal)) return false;
        return true;
    }
}
