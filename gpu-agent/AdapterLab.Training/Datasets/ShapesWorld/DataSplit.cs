namespace AdapterLab.Training.Datasets.ShapesWorld;

/// <summary>Dataset splits; each owns a disjoint range of scene indices so no scene appears in two splits.</summary>
public enum DataSplit
{
    Train = 0,
    Validation = 1,
    Test = 2,
}

/// <summary>Split names as metrics report them and index ranges as the generator uses them.</summary>
public static class DataSplits
{
    /// <summary>Splits are this many indices apart, far more than any split size.</summary>
    public const long RangeSize = 100_000_000;

    public static long FirstIndex(this DataSplit split) => (long)split * RangeSize;

    /// <summary>
    /// The id of a ShapesWorld example: its world seed and scene index (which fixes its split). The same in every domain,
    /// seed and method, so per-example predictions of two experiments on one split align by it.
    /// </summary>
    public static string ShapesWorldExampleId(int worldSeed, long index) => $"shapesworld/{worldSeed}/{index}";

    /// <summary>Example ids of the first <paramref name="count"/> scenes of a split.</summary>
    public static string[] ShapesWorldExampleIds(this DataSplit split, int worldSeed, int count)
    {
        var ids = new string[count];
        for (int row = 0; row < count; row++) ids[row] = ShapesWorldExampleId(worldSeed, split.FirstIndex() + row);
        return ids;
    }

    public static string MetricName(this DataSplit split) => split switch
    {
        DataSplit.Train => "train",
        DataSplit.Validation => "validation",
        _ => "test",
    };
}
