using AdapterLab.Web.Experiments;

namespace AdapterLab.Web.Dashboard;

/// <summary>One experiment's final results as the compare page groups them.</summary>
public sealed record ResultRun(Guid Id, string Label, string ConfigurationHash, int Seed, IReadOnlyList<FinalResultView> Results);

/// <summary>A column: the runs of one configuration (experiments that differ only by seed).</summary>
public sealed record ResultColumn(string Key, string Label, IReadOnlyList<Guid> Ids, IReadOnlyList<int> Seeds);

/// <summary>
/// A cell: mean over the column's seeds (<see cref="Std"/> when there are two or more), and the difference to the baseline
/// column — the mean of seed-paired differences when both columns ran the same seeds (<see cref="PairedSeeds"/> &gt; 0),
/// otherwise the difference of means.
/// </summary>
public sealed record ResultCell(double Mean, double? Std, int N, double? Delta, double? DeltaStd, int PairedSeeds, bool Best);

/// <summary>One split × task × domain × metric with a cell per column (null where the column has no value).</summary>
public sealed record ResultRow(string Split, string Task, string Domain, string Metric, bool LowerIsBetter, IReadOnlyList<ResultCell?> Cells);

/// <summary>Results matrix (task × domain rows, configuration columns) of the compare page; pure, so it is unit tested.</summary>
public sealed record ResultsMatrix(IReadOnlyList<ResultColumn> Columns, IReadOnlyList<ResultRow> Rows, int? BaselineIndex)
{
    /// <summary>Groups runs by configuration (first appearance keeps the column order) and shapes the rows.</summary>
    /// <param name="baselineKey">Configuration hash of the baseline column (null: no deltas).</param>
    /// <param name="split">Only this split (null: all splits).</param>
    public static ResultsMatrix Build(IReadOnlyList<ResultRun> runs, string? baselineKey, string? split = "test")
    {
        var groups = runs.GroupBy(r => r.ConfigurationHash).Select(g => g.ToList()).ToList();
        var columns = groups.Select(g => new ResultColumn(g[0].ConfigurationHash,
            g.Count == 1 ? g[0].Label : $"{g[0].Label} (×{g.Count} seeds)", g.Select(r => r.Id).ToList(), g.Select(r => r.Seed).ToList())).ToList();
        int? baseline = baselineKey is null ? null : columns.FindIndex(c => c.Key == baselineKey) is var b && b >= 0 ? b : null;

        var keys = runs.SelectMany(r => r.Results).Where(r => split is null || r.Split == split)
            .Select(r => (r.Split, r.Task, r.Domain, r.Metric)).Distinct()
            .OrderBy(k => k.Split).ThenBy(k => k.Task).ThenBy(k => k.Domain).ThenBy(k => k.Metric).ToList();
        var rows = new List<ResultRow>();
        foreach (var key in keys)
        {
            // Per column: seed → value (a seed run twice in one configuration counts once, the later run wins).
            var perColumn = groups.Select(g => g
                .Select(r => (r.Seed, Value: r.Results.FirstOrDefault(x => (x.Split, x.Task, x.Domain, x.Metric) == key)))
                .Where(x => x.Value is not null)
                .GroupBy(x => x.Seed).ToDictionary(x => x.Key, x => x.Last().Value!.Value)).ToList();
            bool lower = LowerIsBetter(key.Metric);
            var stats = perColumn.Select(v => v.Count == 0 ? ((double Mean, double? Std, int N)?)null : (v.Values.Average(), Std(v.Values.ToList()), v.Count)).ToList();
            var present = stats.Where(s => s is not null).Select(s => s!.Value.Mean).ToList();
            double? best = present.Count > 1 ? (lower ? present.Min() : present.Max()) : null;
            var cells = new List<ResultCell?>();
            for (int c = 0; c < groups.Count; c++)
            {
                if (stats[c] is not { } s) { cells.Add(null); continue; }
                double? delta = null, deltaStd = null;
                int paired = 0;
                if (baseline is { } bi && bi != c && stats[bi] is { } bs)
                {
                    var common = perColumn[c].Keys.Intersect(perColumn[bi].Keys).OrderBy(x => x).ToList();
                    if (common.Count > 0)
                    {
                        var diffs = common.Select(seed => perColumn[c][seed] - perColumn[bi][seed]).ToList();
                        delta = diffs.Average(); deltaStd = Std(diffs); paired = common.Count;
                    }
                    else delta = s.Mean - bs.Mean;
                }
                cells.Add(new ResultCell(s.Mean, s.Std, s.N, delta, deltaStd, paired, best is { } bv && s.Mean == bv));
            }
            rows.Add(new ResultRow(key.Split, key.Task, key.Domain, key.Metric, lower, cells));
        }
        return new ResultsMatrix(columns, rows, baseline);
    }

    /// <summary>Losses and errors improve downwards; accuracies, IoU and the like upwards.</summary>
    public static bool LowerIsBetter(string metric)
    {
        var m = metric.ToLowerInvariant();
        return m.Contains("loss") || m.Contains("error") || m.Contains("rmse") || m.Contains("mae") || m.Contains("angle");
    }

    /// <summary>Sample standard deviation (n − 1); null for fewer than two values.</summary>
    public static double? Std(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return null;
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }
}
