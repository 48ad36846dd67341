namespace AdapterLab.Training.Data.ShapesWorld;

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

    public static string MetricName(this DataSplit split) => split switch
    {
        DataSplit.Train => "train",
        DataSplit.Validation => "validation",
        _ => "test",
    };
}
