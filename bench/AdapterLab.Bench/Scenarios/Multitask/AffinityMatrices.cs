using System.Text.Json;
using AdapterLab.Bench.Runner;

namespace AdapterLab.Bench.Scenarios.Multitask;

/// <summary>A run's affinity matrices (row-major, row = source task i, column = target task j) and the statistics the report takes of them.</summary>
public static class AffinityMatrices
{
    /// <summary>Every recorded matrix of a run: estimator → (step, values) in step order.</summary>
    /// <summary>An experiment's affinity matrices per estimator, by step, from its <c>/affinity</c> answer.</summary>
    public static Dictionary<string, List<(long Step, double[] Values)>> History(JsonElement answer)
    {
        var all = answer.EnumerateArray().ToList();
        return all.GroupBy(a => a.GetProperty("estimator").GetString()!)
            .ToDictionary(g => g.Key, g => g.Select(a => (a.GetProperty("step").GetInt64(), a.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray()))
                .OrderBy(x => x.Item1).ToList());
    }

    public static double[] MeanMatrix(IReadOnlyList<double[]> list) => Enumerable.Range(0, list[0].Length).Select(k => list.Average(m => m[k])).ToArray();

    /// <summary>‖A − Aᵀ‖_F / ‖A‖_F.</summary>
    public static double Asymmetry(double[] v)
    {
        int n = Side(v);
        double diff = 0, norm = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) { diff += Math.Pow(v[i * n + j] - v[j * n + i], 2); norm += v[i * n + j] * v[i * n + j]; }
        return norm == 0 ? 0 : Math.Sqrt(diff / norm);
    }

    public static double[] OffDiagonal(double[] v)
    {
        int n = Side(v);
        return Enumerable.Range(0, v.Length).Where(k => k / n != k % n).Select(k => v[k]).ToArray();
    }

    /// <summary>Spearman rank correlation (ties broken by position).</summary>
    public static double Spearman(double[] a, double[] b)
    {
        static double[] Ranks(double[] x) { var order = x.Select((v, i) => (v, i)).OrderBy(p => p.v).ToArray(); var r = new double[x.Length]; for (int k = 0; k < order.Length; k++) r[order[k].i] = k; return r; }
        var ra = Ranks(a); var rb = Ranks(b);
        double ma = ra.Average(), mb = rb.Average();
        double num = ra.Zip(rb, (x, y) => (x - ma) * (y - mb)).Sum();
        double den = Math.Sqrt(ra.Sum(x => (x - ma) * (x - ma)) * rb.Sum(y => (y - mb) * (y - mb)));
        return den == 0 ? 0 : num / den;
    }

    /// <summary>Spearman of the off-diagonal entries for every pair of matrices.</summary>
    public static List<double> PairwiseSpearman(IReadOnlyList<double[]> list)
    {
        var pairs = new List<double>();
        for (int a = 0; a < list.Count; a++) for (int b = a + 1; b < list.Count; b++) pairs.Add(Spearman(OffDiagonal(list[a]), OffDiagonal(list[b])));
        return pairs;
    }

    /// <summary>The strongest source (other than <paramref name="target"/> itself) in a target's column.</summary>
    public static int StrongestSource(double[] v, int target)
    {
        int n = Side(v);
        return Enumerable.Range(0, n).Where(i => i != target).MaxBy(i => v[i * n + target]);
    }

    private static int Side(double[] v) => (int)Math.Round(Math.Sqrt(v.Length));
}
