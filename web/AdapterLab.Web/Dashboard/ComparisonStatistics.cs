using AdapterLab.Contracts.Predictions;
using AdapterLab.Contracts.Suites;
using AdapterLab.Statistics;

namespace AdapterLab.Web.Dashboard;

/// <summary>
/// One configuration's cell of a compared metric: its mean with a 95 % interval (seed spread and test-set sampling where
/// per-example predictions exist, else the seed spread only — <see cref="IntervalMethod"/> says which), and against the
/// baseline: the paired difference with its unadjusted interval, the p-value, the Holm-adjusted p over the row and a
/// verdict in words. Flags: at its floor, seeds that produced identical results, a collapsed (near-constant) prediction.
/// </summary>
public sealed record StatisticsCell(
    double Mean, double? Lower, double? Upper, int Seeds, int Examples, string IntervalMethod,
    double? Difference, double? DifferenceLower, double? DifferenceUpper, double? P, double? AdjustedP, string? Test,
    string Verdict, string VerdictWords, double? Floor, bool AtFloor, bool IdenticalSeeds, bool Collapsed);

/// <summary>One split × task × domain × metric: a cell per column and the floor (the baseline column's, when known).</summary>
/// <param name="Floor">The floor's value on these examples, e.g. the majority-class rate; null when no floor is known for the metric.</param>
/// <param name="FloorName">Which floor (<c>majority-class</c>, …).</param>
public sealed record StatisticsRow(string Split, string Task, string Domain, string Metric, bool HigherIsBetter, double? Floor, string? FloorName,
    IReadOnlyList<StatisticsCell?> Cells);

/// <summary>
/// The statistics of a comparison, computed with <c>AdapterLab.Statistics</c> from per-example outcomes (accuracy: 1/0 per
/// test example; dense metrics: the jackknife pseudo-values of each image's parts, whose mean is the dataset-level value),
/// paired across configurations by seed and example id, or, for metrics and experiments without them, from the per-seed
/// results. Intervals are unadjusted; verdicts use Holm-adjusted p-values over each row's
/// comparisons with the baseline. Pure, so it is unit tested.
/// </summary>
public sealed record ComparisonStatistics(IReadOnlyList<StatisticsRow> Rows, IReadOnlyList<string> Notes)
{
    public static readonly ComparisonStatistics Empty = new([], []);

    /// <summary>A run of a column with what statistics need: its seed, results and (when stored) predictions.</summary>
    public sealed record Run(Guid Id, string Label, int Seed, IReadOnlyList<Experiments.FinalResultView> Results, PredictionsFile? Predictions);

    public static ComparisonStatistics Build(ResultsMatrix matrix, IReadOnlyList<IReadOnlyList<Run>> columns)
    {
        var notes = new List<string>();
        var without = columns.SelectMany(c => c).Where(r => r.Predictions is null).Select(r => r.Label).Distinct().ToList();
        if (without.Count > 0)
            notes.Add($"No per-example predictions stored for {string.Join(", ", without.Take(5))}{(without.Count > 5 ? $" and {without.Count - 5} more" : "")} " +
                      "(experiments from before they were recorded): their intervals and tests use the seed spread only, without test-set sampling.");
        var noParts = columns.SelectMany(c => c).Where(r => r.Predictions is not null)
            .SelectMany(r => r.Results.Where(x => DenseMetricParts.Supports(x.Metric) && PredictionTables.Model(r.Predictions, x.Split, x.Task, x.Domain, x.Metric) is null)
                .Select(x => (r.Label, x.Metric)))
            .ToList();
        if (noParts.Count > 0)
        {
            var labels = noParts.Select(x => x.Label).Distinct().ToList();
            notes.Add($"No per-image parts of {string.Join(", ", noParts.Select(x => x.Metric).Distinct().Order())} stored for {string.Join(", ", labels.Take(5))}" +
                      $"{(labels.Count > 5 ? $" and {labels.Count - 5} more" : "")} (evaluated before they were recorded): those rows' intervals and tests use the seed spread only.");
        }
        var rows = new List<StatisticsRow>();
        foreach (var row in matrix.Rows)
            rows.Add(BuildRow(row, columns, matrix.BaselineIndex));
        if (rows.Any(r => r.Cells.Any(c => c?.IdenticalSeeds == true)))
            notes.Add("Identical results across seeds are flagged: seeds draw different initial weights, dropout masks and batch orders, so " +
                      "identical outcomes usually mean a constant prediction or a method that ignores its seed (a linear probe on cached features may legitimately agree).");
        return new ComparisonStatistics(rows, notes);
    }

    private static StatisticsRow BuildRow(ResultRow row, IReadOnlyList<IReadOnlyList<Run>> columns, int? baseline)
    {
        var policy = MetricPolicy.For(row.Metric);
        bool higher = !row.LowerIsBetter;
        // Per column: seed → run with a value for this row (a seed run twice counts once, the later run wins).
        var perColumn = columns.Select(c => c.Where(r => Value(r, row) is not null).GroupBy(r => r.Seed).ToDictionary(g => g.Key, g => g.Last())).ToList();
        bool perExample = PredictionTables.Supports(row.Metric) && perColumn.All(c => c.Values.All(r => Set(r, row) is not null));
        IReadOnlyList<string>? ids = perExample ? PredictionTables.CommonIds(perColumn.SelectMany(c => c.Values).Select(r => Set(r, row)!).ToList()) : null;
        if (ids is { Count: 0 }) { perExample = false; ids = null; }

        var estimates = perColumn.Select(c => c.Count == 0 ? null : Estimate(c, row, ids))
            .Select(e => e is not null && AdapterLab.Statistics.Estimate.IsProportion(row.Metric) ? e.ClampedTo(0, 1) : e).ToList();
        var differences = new Difference?[columns.Count];
        if (baseline is { } b && perColumn[b].Count > 0)
            for (int c = 0; c < columns.Count; c++)
                if (c != b && perColumn[c].Count > 0) differences[c] = Compare(perColumn[c], perColumn[b], row, ids, estimates[c]!, estimates[b]!);
        var tested = Enumerable.Range(0, columns.Count).Where(c => differences[c] is { } d && d.Estimate.HasInterval).ToList();
        var adjusted = Holm.Adjust(tested.Select(c => differences[c]!.PValue).ToList());

        var floors = perColumn.Select(c => Floor(c.Values, row)).ToList();
        var cells = new List<StatisticsCell?>();
        for (int c = 0; c < columns.Count; c++)
        {
            if (estimates[c] is not { } e) { cells.Add(null); continue; }
            var d = differences[c];
            int k = tested.IndexOf(c);
            double? adj = k >= 0 ? adjusted[k] : null;
            var verdict = c == baseline ? new Verdict(VerdictKind.NotTested, "baseline")
                : d is null ? new Verdict(VerdictKind.NotTested, "no baseline value")
                : Verdict.For(d, adj ?? 1, higher, policy.Tolerance);
            var floor = floors[c];
            bool identical = perExample
                ? perColumn[c].Count > 1 && Table(perColumn[c], row, ids!).SeedsIdentical
                : perColumn[c].Count > 1 && perColumn[c].Values.Select(r => Value(r, row)!.Value).Distinct().Count() == 1;
            bool collapsed = row.Task == "classification" && perColumn[c].Values.Any(r => Set(r, row, "accuracy") is { Labels: { } l, Predicted: { } p }
                && ConfusionMatrix.From(l, p, 0).Collapsed);
            cells.Add(new StatisticsCell(e.Value, Finite(e.Lower), Finite(e.Upper), e.Seeds, e.Examples, e.Method.ToString(),
                d?.Estimate.Value, d is null ? null : Finite(d.Estimate.Lower), d is null ? null : Finite(d.Estimate.Upper),
                d?.PValue, adj, d?.Test, verdict.Kind.ToString(), verdict.Words,
                floor?.Value, floor is { } f && FloorCheck.AtFloor(e, f.Value, higher), identical, collapsed));
        }
        var rowFloor = baseline is { } bi ? floors[bi] : floors.FirstOrDefault(f => f is not null);
        return new StatisticsRow(row.Split, row.Task, row.Domain, row.Metric, higher, rowFloor?.Value, rowFloor?.Name, cells);
    }

    private static Estimate Estimate(Dictionary<int, Run> runs, ResultRow row, IReadOnlyList<string>? ids) =>
        ids is null
            ? Intervals.SeedsOnly(runs.OrderBy(kv => kv.Key).Select(kv => Value(kv.Value, row)!.Value).ToList())
            : Intervals.Mean(Table(runs, row, ids));

    private static Difference Compare(Dictionary<int, Run> candidate, Dictionary<int, Run> baseline, ResultRow row, IReadOnlyList<string>? ids, Estimate ce, Estimate be)
    {
        var common = candidate.Keys.Intersect(baseline.Keys).OrderBy(s => s).ToList();
        if (ids is null)
            return common.Count > 1
                ? Comparisons.SeedsOnly(common.Select(s => Value(candidate[s], row)!.Value).ToList(), common.Select(s => Value(baseline[s], row)!.Value).ToList(), paired: true)
                : Comparisons.SeedsOnly(candidate.Values.Select(r => Value(r, row)!.Value).ToList(), baseline.Values.Select(r => Value(r, row)!.Value).ToList(), paired: false);
        if (common.Count > 0)
            return Comparisons.Paired(
                Table(common.ToDictionary(s => s, s => candidate[s]), row, ids),
                Table(common.ToDictionary(s => s, s => baseline[s]), row, ids));
        // No seed in common but as many runs on each side (e.g. one run each): seeds are independent draws, so pairing them
        // in order is as valid as by number, and the examples are still shared: pair by example.
        if (candidate.Count == baseline.Count)
            return Comparisons.Paired(Table(candidate, row, ids), Table(baseline, row, ids));
        return Comparisons.Unpaired(ce, be, "Welch t (different seed counts and no seeds in common; examples not paired)");
    }

    /// <summary>Seeds (ascending) × the given example ids of per-example outcomes (1/0 correctness, or a dense metric's pseudo-values).</summary>
    private static SeedExampleTable Table(Dictionary<int, Run> runs, ResultRow row, IReadOnlyList<string> ids) =>
        PredictionTables.OutcomeTable(runs.OrderBy(kv => kv.Key).Select(kv => kv.Value.Predictions).ToList(), row.Split, row.Task, row.Domain, row.Metric, ids)!;

    private static double? Value(Run r, ResultRow row) =>
        r.Results.FirstOrDefault(x => x.Split == row.Split && x.Task == row.Task && x.Domain == row.Domain && x.Metric == row.Metric)?.Value;

    private static PredictionSet? Set(Run r, ResultRow row, string? metric = null) => PredictionTables.Model(r.Predictions, row.Split, row.Task, row.Domain, metric ?? row.Metric);

    /// <summary>The floor of a column on this row: the floor predictor's score on the same examples (the same for every seed).</summary>
    private static (double Value, string Name)? Floor(IEnumerable<Run> runs, ResultRow row) =>
        runs.Select(r => PredictionTables.Floor(r.Predictions, row.Split, row.Task, row.Domain, row.Metric)).FirstOrDefault(f => f is not null);

    private static double? Finite(double x) => double.IsFinite(x) ? x : null;
}
