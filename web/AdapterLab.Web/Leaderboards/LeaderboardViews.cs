namespace AdapterLab.Web.Leaderboards;

/// <summary>A board: dataset (label family) × domain × task × metric, with how many configurations it ranks.</summary>
public sealed record BoardView(string Board, string Dataset, string LabelFamily, string Domain, string Task, string Metric,
    bool HigherIsBetter, int Configurations, string? BaselineConfigurationHash, DateTimeOffset UpdatedAt);

/// <summary>One ranked configuration. <see cref="Mean"/> ± <see cref="Std"/> over <see cref="Seeds"/> seeds, test split.</summary>
public sealed record RankedEntry(int Rank, string ConfigurationHash, string? Name, string Kind, string Method, string Preset,
    double Mean, double Std, int Seeds, double? ValidationMean, long TrainableParameters, long TotalParameters, long Steps,
    double? ImagesPerSecond, double? TrainSeconds, Guid? SuiteRunId, string? Suite, Guid LatestExperimentId,
    bool IsBaseline, double? DeltaToBaseline, bool ParetoOptimal);

/// <summary>A board's ranking: the best entries (as many as asked for) and the pinned baseline, ranked even when below them.</summary>
public sealed record BoardRanking(BoardView Board, RankedEntry? Baseline, IReadOnlyList<RankedEntry> Entries);
