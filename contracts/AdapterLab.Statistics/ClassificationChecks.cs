namespace AdapterLab.Statistics;

/// <summary>A confusion matrix (rows: true class, columns: predicted) and what it shows at a glance.</summary>
public sealed record ConfusionMatrix(long[][] Counts)
{
    /// <summary>One class taking more than this share of the predictions marks the run collapsed.</summary>
    public const double CollapseShare = 0.9;

    public int Classes => Counts.Length;

    public static ConfusionMatrix From(IReadOnlyList<int> labels, IReadOnlyList<int> predicted, int classes)
    {
        int k = Math.Max(classes, Math.Max(labels.DefaultIfEmpty(-1).Max(), predicted.DefaultIfEmpty(-1).Max()) + 1);
        var counts = Enumerable.Range(0, k).Select(_ => new long[k]).ToArray();
        for (int i = 0; i < labels.Count; i++) counts[labels[i]][predicted[i]]++;
        return new ConfusionMatrix(counts);
    }

    /// <summary>Recall per true class (NaN for a class absent from the labels).</summary>
    public double[] PerClassAccuracy => Counts.Select((row, c) => row.Sum() == 0 ? double.NaN : (double)row[c] / row.Sum()).ToArray();

    /// <summary>The share of predictions that went to the most predicted class.</summary>
    public double TopPredictedShare
    {
        get
        {
            long total = Counts.Sum(r => r.Sum());
            if (total == 0) return 0;
            return Enumerable.Range(0, Classes).Max(c => Counts.Sum(r => r[c])) / (double)total;
        }
    }

    public int TopPredictedClass => Enumerable.Range(0, Classes).MaxBy(c => Counts.Sum(r => r[c]));

    /// <summary>One class takes more than 90 % of predictions: a (near-)constant prediction.</summary>
    public bool Collapsed => TopPredictedShare > CollapseShare;
}

/// <summary>Whether a result clears its floor: the interval must lie beyond the floor, not just the mean.</summary>
public static class FloorCheck
{
    /// <returns>True when <paramref name="estimate"/> does not beat <paramref name="floor"/> (its interval reaches the floor, or without an interval its value does).</returns>
    public static bool AtFloor(Estimate estimate, double floor, bool higherIsBetter)
    {
        if (double.IsNaN(floor)) return false;
        if (!estimate.HasInterval) return higherIsBetter ? estimate.Value <= floor : estimate.Value >= floor;
        return higherIsBetter ? estimate.Lower <= floor : estimate.Upper >= floor;
    }
}
