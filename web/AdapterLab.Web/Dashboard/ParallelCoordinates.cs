using System.Globalization;

namespace AdapterLab.Web.Dashboard;

/// <summary>One axis of a parallel-coordinates plot: a value per run; categorical axes carry their labels at <see cref="TickValues"/>.</summary>
public sealed record ParallelAxis(string Label, IReadOnlyList<double?> Values, IReadOnlyList<double>? TickValues = null, IReadOnlyList<string>? TickText = null);

/// <summary>
/// Hyper-parameters against a metric on the compare page: an axis per spec field that differs between the runs (numbers
/// on a linear axis, or log10 when they span two decades or more, such as learning rates; anything else as categories),
/// the trainable parameter count, and the chosen metric last, which also colours the lines.
/// </summary>
public static class ParallelCoordinates
{
    /// <summary>Fields that name or describe a run rather than configure it.</summary>
    private static readonly HashSet<string> Ignored = new(StringComparer.Ordinal) { "name", "tags", "description", "suite", "priority" };

    /// <summary>The metrics the runs have on <paramref name="split"/> (task · domain · metric), most widely reported first.</summary>
    public static IReadOnlyList<string> Metrics(IReadOnlyList<CompareExperiment> runs, string split) =>
        runs.SelectMany(r => r.Results.Where(x => x.Split == split).Select(x => Key(x.Task, x.Domain, x.Metric)).Distinct())
            .GroupBy(k => k).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key).ToList();

    public static string Key(string task, string domain, string metric) => $"{task} · {domain} · {metric}";

    /// <summary>The axes for <paramref name="runs"/>; empty when fewer than two runs or no metric.</summary>
    public static IReadOnlyList<ParallelAxis> Build(IReadOnlyList<CompareExperiment> runs, string split, string? metric)
    {
        if (metric is null) return [];
        // A line needs a value on every axis: runs without the metric are left out.
        runs = runs.Where(r => r.Results.Any(x => x.Split == split && Key(x.Task, x.Domain, x.Metric) == metric)).ToList();
        if (runs.Count < 2) return [];
        var axes = new List<ParallelAxis>();
        foreach (var row in SpecDiff.Compute(runs.Select(r => r.SpecJson).ToList()))
        {
            if (Ignored.Contains(row.Path) || row.Path.StartsWith("tags", StringComparison.Ordinal)) continue;
            axes.Add(Axis(row.Path, row.Values));
        }
        var trainable = runs.Select(r => (double?)r.TrainableParameters).ToList();
        if (trainable.Distinct().Count() > 1) axes.Add(Numeric("trainable parameters", trainable));
        var values = runs.Select(r => r.Results.FirstOrDefault(x => x.Split == split && Key(x.Task, x.Domain, x.Metric) == metric)?.Value).ToList();
        axes.Add(new ParallelAxis($"{split} {metric}", values));
        return axes;
    }

    /// <summary>
    /// A sweep's trials: an axis per searched field (the values as JSON text, numbers on a linear or log axis), the rung
    /// each reached, and the objective at that rung last; trials without a rung result are left out.
    /// </summary>
    public static IReadOnlyList<ParallelAxis> ForTrials(IReadOnlyList<IReadOnlyDictionary<string, string?>> values, IReadOnlyList<int> rung,
        IReadOnlyList<double?> objective, string objectiveLabel)
    {
        var keep = Enumerable.Range(0, values.Count).Where(i => objective[i] is not null).ToList();
        if (keep.Count < 2) return [];
        var axes = values.SelectMany(v => v.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(path => Axis(path, keep.Select(i => values[i].GetValueOrDefault(path)).ToList())).ToList();
        axes.Add(new ParallelAxis("rung reached", keep.Select(i => (double?)rung[i]).ToList()));
        axes.Add(new ParallelAxis(objectiveLabel, keep.Select(i => objective[i]).ToList()));
        return axes;
    }

    private static ParallelAxis Axis(string label, IReadOnlyList<string?> raw)
    {
        static double? Number(string? v) => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : null;
        var numbers = raw.Select(Number).ToList();
        if (numbers.All(n => n is not null)) return Numeric(label, numbers);
        // Categories: numbers in ascending order, then other values in order of first appearance; an absent field (its
        // default, which the spec does not state) is "(default)".
        var categories = raw.Where(v => Number(v) is not null).Select(v => v!).Distinct(StringComparer.Ordinal).OrderBy(v => Number(v))
            .Concat(raw.Where(v => Number(v) is null).Select(v => v ?? "(default)").Distinct(StringComparer.Ordinal)).ToList();
        return new ParallelAxis(label, raw.Select(v => (double?)categories.IndexOf(v ?? "(default)")).ToList(),
            categories.Select((_, i) => (double)i).ToList(), categories);
    }

    private static ParallelAxis Numeric(string label, IReadOnlyList<double?> values)
    {
        var present = values.Where(v => v is not null).Select(v => v!.Value).ToList();
        if (present.Count > 0 && present.All(v => v > 0) && present.Max() / present.Min() >= 100)
        {
            // log10 positions, labelled with the values themselves at each decade.
            var logs = values.Select(v => v is { } x ? Math.Log10(x) : (double?)null).ToList();
            int lo = (int)Math.Floor(logs.Min()!.Value), hi = (int)Math.Ceiling(logs.Max()!.Value);
            var ticks = Enumerable.Range(lo, hi - lo + 1).Select(e => (double)e).ToList();
            return new ParallelAxis(label + " (log)", logs, ticks, ticks.Select(e => Math.Pow(10, e).ToString("G3", CultureInfo.InvariantCulture)).ToList());
        }
        return new ParallelAxis(label, values);
    }
}
