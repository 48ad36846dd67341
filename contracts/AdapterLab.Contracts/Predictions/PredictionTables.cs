using AdapterLab.Statistics;

namespace AdapterLab.Contracts.Predictions;

/// <summary>
/// Turns stored predictions into the statistics library's inputs: a seeds × examples table of per-example accuracy,
/// aligned on the example ids every run shares, and the floor on the same examples. Used by the compare API and by the
/// leaderboard projection, so both compute the same numbers.
/// </summary>
public static class PredictionTables
{
    /// <summary>The model's set for a split × task × domain, with per-example correctness (classification).</summary>
    public static PredictionSet? Model(PredictionsFile? file, string split, string task, string domain) =>
        file?.Sets.FirstOrDefault(s => s.Split == split && s.Task == task && s.Domain == domain && s.Predictor == PredictionSet.ModelPredictor && s.Labels is not null && s.Predicted is not null);

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
    public static double[] Correctness(PredictionSet set, IReadOnlyList<string> ids)
    {
        var correct = set.Correct ?? throw new ArgumentException("not a classification prediction set");
        if (SameIds(set.ExampleIds, ids)) return (double[])correct.Clone();
        var index = new Dictionary<string, int>(set.ExampleIds.Count, StringComparer.Ordinal);
        for (int i = 0; i < set.ExampleIds.Count; i++) index.TryAdd(set.ExampleIds[i], i);
        return ids.Select(id => correct[index[id]]).ToArray();
    }

    /// <summary>Seeds (in the given order) × shared examples of per-example accuracy; null when a run lacks predictions or nothing is shared.</summary>
    public static SeedExampleTable? AccuracyTable(IReadOnlyList<PredictionsFile?> runs, string split, string task, string domain, IReadOnlyList<string>? ids = null)
    {
        var sets = runs.Select(r => Model(r, split, task, domain)).ToList();
        if (sets.Count == 0 || sets.Any(s => s is null)) return null;
        ids ??= CommonIds(sets!);
        if (ids.Count == 0) return null;
        return new SeedExampleTable(sets.Select(s => Correctness(s!, ids)).ToList());
    }

    /// <summary>The floor's score on a metric (accuracy from its predictions; dense metrics from its per-image values), and its name.</summary>
    public static (double Value, string Name)? Floor(PredictionsFile? file, string split, string task, string domain, string metric)
    {
        var floor = file?.Sets.FirstOrDefault(s => s.Split == split && s.Task == task && s.Domain == domain && s.IsFloor);
        if (floor is null) return null;
        string name = floor.Predictor["floor:".Length..];
        if (metric == "accuracy" && floor.Correct is { Length: > 0 } c) return (c.Average(), name);
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
