using AdapterLab.Web.Experiments;

namespace AdapterLab.Web.Dashboard;

/// <summary>
/// One line: a metric of one split × task × domain (prefixed with the experiment on the compare page). <see cref="Times"/>,
/// when known, is the wall clock at each step of the chart's axis (for an x axis in time rather than steps).
/// </summary>
public sealed record CurveSeries(string Name, IReadOnlyList<double?> Values, IReadOnlyList<DateTimeOffset?>? Times = null);

/// <summary>One chart per metric name: a shared step axis and a nullable value per series and step.</summary>
public sealed record CurveChart(string Metric, IReadOnlyList<long> Steps, IReadOnlyList<CurveSeries> Series)
{
    /// <summary>Shapes metric points into charts; each point comes with the label of its experiment (null: one experiment).</summary>
    /// <param name="clock">The wall clock of an experiment's step (by its label), when known: see <see cref="WallClock"/>.</param>
    public static IReadOnlyList<CurveChart> Build(IEnumerable<(string? Experiment, MetricPointView Point)> points,
        Func<string?, long, DateTimeOffset?>? clock = null)
    {
        var charts = new List<CurveChart>();
        // System metrics (split "system") are charted per attempt apart from the curves: see ByAttempt.
        foreach (var metric in points.Where(p => p.Point.Split != WallClock.SystemSplit).GroupBy(p => p.Point.Name).OrderBy(g => g.Key == "loss" ? 0 : 1).ThenBy(g => g.Key, StringComparer.Ordinal))
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
                    var times = clock is null ? null : steps.Select(st => clock(g.Key.Experiment, st)).ToList();
                    return new CurveSeries(g.Key.Experiment is null ? name : $"{g.Key.Experiment}: {name}", values,
                        times is not null && times.Any(t => t is not null) ? times : null);
                }).ToList();
            charts.Add(new CurveChart(metric.Key, steps, series));
        }
        return charts;
    }

    /// <summary>
    /// A run's system metrics (split "system": step time, images/s, memory), one chart per metric and one series per
    /// attempt (<c>attempt N</c>), with the wall clock of each sample; the wall-clock points themselves are not charted.
    /// </summary>
    public static IReadOnlyList<CurveChart> ByAttempt(IEnumerable<MetricPointView> points)
    {
        var system = points.Where(p => p.Split == WallClock.SystemSplit).ToList();
        var clock = system.Where(p => p.Name == WallClock.Metric).ToDictionary(p => p.Step, p => WallClock.FromUnixSeconds(p.Value));
        var charts = new List<CurveChart>();
        foreach (var metric in system.Where(p => p.Name != WallClock.Metric).GroupBy(p => p.Name).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var steps = metric.Select(p => p.Step).Distinct().Order().ToList();
            var index = steps.Select((s, i) => (s, i)).ToDictionary(x => x.s, x => x.i);
            var series = metric.GroupBy(p => p.Attempt).OrderBy(g => g.Key).Select(g =>
            {
                var values = new double?[steps.Count];
                foreach (var p in g) values[index[p.Step]] = p.Value;
                var times = steps.Select(st => values[index[st]] is not null && clock.TryGetValue(st, out var t) ? (DateTimeOffset?)t : null).ToList();
                return new CurveSeries($"attempt {g.Key}", values, times.Any(t => t is not null) ? times : null);
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
