using AdapterLab.Web.Experiments;

namespace AdapterLab.Web.Dashboard;

/// <summary>One compared experiment as the compare API shows it (its results by split × task × domain × metric).</summary>
/// <param name="Selected">False for another seed of a selected configuration, folded in for mean ± std.</param>
public sealed record ComparedExperiment(Guid Id, string Label, string Kind, string Method, string Status, string ConfigurationHash,
    int Seed, long TrainableParameters, bool Selected, IReadOnlyList<FinalResultView> Results);

/// <summary>
/// What the compare page and <c>GET /api/compare</c> show: the results matrix (split × task × domain × metric rows, one
/// column per configuration with mean ± std over its seeds, deltas against the baseline column) and the field-by-field
/// difference of the selected specs, and the <see cref="ComparisonStatistics"/> of every row (intervals, paired
/// differences, Holm-adjusted verdicts, floors, flags). Built from <see cref="CompareQuery"/>'s data; pure, so the page re-shapes it when
/// the split or baseline changes without reading again.
/// </summary>
/// <param name="Split">The split the matrix shows (<c>test</c>, <c>validation</c> or <c>train</c>).</param>
/// <param name="BaselineConfigurationHash">Configuration of the baseline column (deltas are against it).</param>
/// <param name="SpecDiff">Fields whose values differ between the selected specs, values in selection order.</param>
public sealed record Comparison(
    IReadOnlyList<ComparedExperiment> Experiments, string Split, string? BaselineConfigurationHash, ResultsMatrix Matrix,
    IReadOnlyList<SpecDiffRow> SpecDiff, ComparisonStatistics Statistics)
{
    public static readonly IReadOnlyList<string> Splits = ["test", "validation", "train"];

    /// <param name="baselineKey">Configuration hash of the baseline; null: the first selected experiment's configuration.</param>
    /// <param name="withStatistics">False: the matrix and spec difference only (<see cref="ComparisonStatistics.Empty"/>).</param>
    public static Comparison Build(CompareData data, string? baselineKey, string split, bool withStatistics = true)
    {
        var selected = data.Experiments.Where(e => e.Selected).ToList();
        // An unknown key (e.g. a stale link) falls back to the default: the first selected experiment's configuration.
        var baseline = baselineKey is not null && data.Experiments.Any(e => e.ConfigurationHash == baselineKey)
            ? baselineKey
            : selected.FirstOrDefault()?.ConfigurationHash;
        var matrix = ResultsMatrix.Build(
            data.Experiments.Select(e => new ResultRun(e.Id, e.Label, e.ConfigurationHash, e.Seed, e.Results)).ToList(), baseline, split);
        var byId = data.Experiments.ToDictionary(e => e.Id);
        var statistics = !withStatistics ? ComparisonStatistics.Empty : ComparisonStatistics.Build(matrix, matrix.Columns.Select(c => (IReadOnlyList<ComparisonStatistics.Run>)c.Ids
            .Select(id => byId[id]).Select(e => new ComparisonStatistics.Run(e.Id, e.Label, e.Seed, e.Results, data.Predictions.GetValueOrDefault(e.Id))).ToList()).ToList());
        var experiments = data.Experiments.Select(e => new ComparedExperiment(e.Id, e.Label, e.Kind, e.Method, e.Status, e.ConfigurationHash,
            e.Seed, e.TrainableParameters, e.Selected, e.Results)).ToList();
        return new Comparison(experiments, split, baseline, matrix, Dashboard.SpecDiff.Compute(selected.Select(e => e.SpecJson).ToList()), statistics);
    }
}
