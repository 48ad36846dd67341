namespace AdapterLab.Web.Leaderboards;

/// <summary>A board: dataset (label family) × domain × task × metric, with how many configurations it ranks.</summary>
public sealed record BoardView(string Board, string Dataset, string LabelFamily, string Domain, string Task, string Metric,
    bool HigherIsBetter, int Configurations, string? BaselineConfigurationHash, DateTimeOffset UpdatedAt);

/// <summary>
/// One ranked configuration: <see cref="Mean"/> over <see cref="Seeds"/> seeds on the test split with its 95 % interval
/// [<see cref="Lower"/>, <see cref="Upper"/>] (<see cref="IntervalMethod"/>: seeds × examples, or seeds only), its
/// <see cref="Rank"/> by mean and its honest rank range [<see cref="RankBest"/>, <see cref="RankWorst"/>] (1 + entries
/// whose interval lies wholly better, n − entries wholly worse), its floor and flags.
/// </summary>
public sealed record RankedEntry(int Rank, string ConfigurationHash, string? Name, string Kind, string Method, string Preset,
    double Mean, double Std, int Seeds, double? ValidationMean, long TrainableParameters, long TotalParameters, long Steps,
    double? ImagesPerSecond, double? TrainSeconds, Guid? SuiteRunId, string? Suite, Guid LatestExperimentId,
    bool IsBaseline, double? DeltaToBaseline, bool ParetoOptimal)
{
    public double? Lower { get; init; }
    public double? Upper { get; init; }
    public string? IntervalMethod { get; init; }
    public int RankBest { get; init; }
    public int RankWorst { get; init; }
    public double? Floor { get; init; }
    public bool AtFloor { get; init; }
    public bool IdenticalSeeds { get; init; }
}

/// <summary>A board's ranking: the best entries (as many as asked for) and the pinned baseline, ranked even when below them.</summary>
/// <param name="Floor">The board's floor (e.g. the majority-class rate on these test examples), shown as a row of its own.</param>
public sealed record BoardRanking(BoardView Board, RankedEntry? Baseline, IReadOnlyList<RankedEntry> Entries)
{
    public double? Floor { get; init; }
    public string? FloorName { get; init; }
}
