namespace AdapterLab.Statistics;

/// <summary>
/// A configuration's per-example outcomes: one row per seed, one column per test example, the same examples (in the
/// same order) in every row — e.g. 1/0 for a correct/incorrect classification, or a per-image metric value.
/// </summary>
public sealed class SeedExampleTable
{
    public SeedExampleTable(IReadOnlyList<double[]> rows)
    {
        if (rows.Count == 0) throw new ArgumentException("at least one seed");
        int n = rows[0].Length;
        if (rows.Any(r => r.Length != n)) throw new ArgumentException("every seed must have outcomes on the same examples");
        Rows = rows;
    }

    public IReadOnlyList<double[]> Rows { get; }
    public int Seeds => Rows.Count;
    public int Examples => Rows[0].Length;

    public double Mean => Rows.Sum(r => r.Sum()) / ((double)Seeds * Examples);

    public double[] SeedMeans => Rows.Select(r => r.Length == 0 ? double.NaN : r.Average()).ToArray();

    /// <summary>Row-wise a − b, for two tables paired by seed (row) and example (column).</summary>
    public static SeedExampleTable Difference(SeedExampleTable a, SeedExampleTable b)
    {
        if (a.Seeds != b.Seeds || a.Examples != b.Examples) throw new ArgumentException("paired tables need the same seeds and examples");
        return new SeedExampleTable(a.Rows.Zip(b.Rows, (x, y) => x.Zip(y, (p, q) => p - q).ToArray()).ToList());
    }

    /// <summary>True when every seed has exactly the same outcome on every example (the seeds did not differ at all).</summary>
    public bool SeedsIdentical => Seeds > 1 && Rows.Skip(1).All(r => r.AsSpan().SequenceEqual(Rows[0]));
}
