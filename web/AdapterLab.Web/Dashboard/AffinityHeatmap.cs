namespace AdapterLab.Web.Dashboard;

/// <summary>One stored task-affinity matrix (row-major, A[i→j] at i·N+j).</summary>
public sealed record AffinityView(long Step, string Estimator, IReadOnlyList<string> TaskOrder, IReadOnlyList<double> Values);

/// <summary>
/// An N×N affinity matrix shaped for display: <see cref="Rows"/>[i][j] is the affinity from task i (row) to task j (column).
/// Pure: the chart component only draws what this produces.
/// </summary>
public sealed record AffinityHeatmap(string Estimator, long Step, IReadOnlyList<string> Tasks, IReadOnlyList<IReadOnlyList<double>> Rows)
{
    public static AffinityHeatmap From(AffinityView m)
    {
        int n = m.TaskOrder.Count;
        if (m.Values.Count != n * n)
            throw new ArgumentException($"an affinity matrix over {n} tasks needs {n * n} values, not {m.Values.Count}");
        var rows = Enumerable.Range(0, n).Select(i => (IReadOnlyList<double>)Enumerable.Range(0, n).Select(j => m.Values[i * n + j]).ToList()).ToList();
        return new AffinityHeatmap(m.Estimator, m.Step, m.TaskOrder.ToList(), rows);
    }

    /// <summary>
    /// The colour range of a diverging scale centred on 0: ± the largest off-diagonal magnitude, so the 1.0 diagonal (a task
    /// with itself, shown apart) cannot wash out the entries that matter; never below 1e-6.
    /// </summary>
    public double OffDiagonalRange() =>
        Math.Max(1e-6, Rows.SelectMany((row, i) => row.Where((_, j) => i != j)).Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max());

    /// <summary>Matrices per estimator, each estimator's steps in order (what the step slider walks through).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<AffinityHeatmap>> ByEstimator(IEnumerable<AffinityView> matrices) =>
        matrices.GroupBy(m => m.Estimator).OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<AffinityHeatmap>)g.OrderBy(m => m.Step).Select(From).ToList());

    /// <summary>
    /// <paramref name="a"/> − <paramref name="b"/> over the tasks both have, in <paramref name="a"/>'s order (tasks are matched by
    /// name, so matrices with different task orders still line up); null when they share fewer than one task.
    /// </summary>
    public static AffinityHeatmap? Difference(AffinityHeatmap a, AffinityHeatmap b)
    {
        var shared = a.Tasks.Where(b.Tasks.Contains).ToList();
        if (shared.Count == 0) return null;
        var rows = shared.Select(ti => (IReadOnlyList<double>)shared
            .Select(tj => a.Rows[a.Tasks.IndexOf(ti)][a.Tasks.IndexOf(tj)] - b.Rows[b.Tasks.IndexOf(ti)][b.Tasks.IndexOf(tj)]).ToList()).ToList();
        return new AffinityHeatmap($"{a.Estimator} − {b.Estimator}", Math.Max(a.Step, b.Step), shared, rows);
    }
}

internal static class ListExtensions
{
    public static int IndexOf(this IReadOnlyList<string> list, string value)
    {
        for (int i = 0; i < list.Count; i++) if (list[i] == value) return i;
        return -1;
    }
}
