namespace AdapterLab.Statistics;

/// <summary>Holm's step-down adjustment: controls the family-wise error over a table of comparisons against one baseline.</summary>
public static class Holm
{
    /// <summary>Adjusted p-values in the input order (monotone, capped at 1). NaN inputs stay NaN and do not count.</summary>
    public static double[] Adjust(IReadOnlyList<double> p)
    {
        var order = Enumerable.Range(0, p.Count).Where(i => !double.IsNaN(p[i])).OrderBy(i => p[i]).ToList();
        var adjusted = Enumerable.Repeat(double.NaN, p.Count).ToArray();
        int m = order.Count;
        double running = 0;
        for (int k = 0; k < m; k++)
        {
            running = Math.Max(running, Math.Min(1, (m - k) * p[order[k]]));
            adjusted[order[k]] = running;
        }
        return adjusted;
    }
}
