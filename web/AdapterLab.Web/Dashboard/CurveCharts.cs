using AdapterLab.Web.Experiments;

namespace AdapterLab.Web.Dashboard;

/// <summary>One line: a metric of one split × task × domain (prefixed with the experiment on the compare page).</summary>
public sealed record CurveSeries(string Name, IReadOnlyList<double?> Values);

/// <summary>One chart per metric name: a shared step axis and a nullable value per series and step.</summary>
public sealed record CurveChart(string Metric, IReadOnlyList<long> Steps, IReadOnlyList<CurveSeries> Series)
{
    /// <summary>Shapes metric points into charts; each point comes with the label of its experiment (null: one experiment).</summary>
    public static IReadOnlyList<CurveChart> Build(IEnumerable<(string? Experiment, MetricPointView Point)> points)
    {
        var charts = new List<CurveChart>();
        foreach (var metric in points.GroupBy(p => p.Point.Name).OrderBy(g => g.Key == "loss" ? 0 : 1).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            var steps = metric.Select(p => p.Point.Step).Distinct().Order().ToList();
            var index = steps.Select((s, i) => (s, i)).ToDictionary(x => x.s, x => x.i);
            var series = metric
                .GroupBy(p => (p.Experiment, p.Point.Split, p.Point.Task, p.Point.Domain))
                .OrderBy(g => g.Key.Experiment).ThenBy(g => g.Key.Split).ThenBy(g => g.Key.Task).ThenBy(g => g.Key.Domain)
                .Select(g =>
                {
                    var values = new double?[steps.Count];
                    foreach (var p in g) values[index[p.Point.Step]] = p.Point.Value;
                    var name = $"{g.Key.Split} · {g.Key.Task} · {g.Key.Domain}";
                    return new CurveSeries(g.Key.Experiment is null ? name : $"{g.Key.Experiment}: {name}", values);
                }).ToList();
            charts.Add(new CurveChart(metric.Key, steps, series));
        }
        return charts;
    }

    /// <summary>Axis labels that stay readable: at most about <paramref name="max"/> non-empty ones.</summary>
    public string[] Labels(int max = 12)
    {
        int every = Math.Max(1, (int)Math.Ceiling(Steps.Count / (double)max));
        return Steps.Select((s, i) => i % every == 0 || i == Steps.Count - 1 ? s.ToString() : "").ToArray();
    }
}
