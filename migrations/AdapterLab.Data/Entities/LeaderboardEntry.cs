namespace AdapterLab.Data.Entities;

/// <summary>
/// One configuration (spec minus seed) on one board (dataset/label family × domain × task × metric): its test-split mean
/// over seeds, maintained on write by <see cref="Leaderboards.LeaderboardProjection"/> so boards are read without aggregating.
/// </summary>
public sealed class LeaderboardEntry
{
    /// <summary>Boards are per project: the same configuration in two projects is two entries.</summary>
    public Guid ProjectId { get; set; } = Project.DefaultId;
    /// <summary><c>dataset.labelFamily.domain.task.metric</c>, e.g. <c>shapesworld.object-count.fog.classification.accuracy</c>.</summary>
    public string Board { get; set; } = "";
    public string ConfigurationHash { get; set; } = "";
    public string Dataset { get; set; } = "";
    public string LabelFamily { get; set; } = "";
    public string Domain { get; set; } = "";
    public string Task { get; set; } = "";
    public string Metric { get; set; } = "";
    public string? Name { get; set; }
    public string Kind { get; set; } = "";
    public string Method { get; set; } = "";
    public string Preset { get; set; } = "";
    /// <summary>Mean over seeds of the test-split value (the latest succeeded experiment per seed).</summary>
    public double Mean { get; set; }
    public double Std { get; set; }
    public int Seeds { get; set; }
    /// <summary>95 % interval of <see cref="Mean"/> (statistics library): seed spread and test-set sampling where the runs stored per-example predictions, else the seed spread only; null for one run without predictions.</summary>
    public double? Lower { get; set; }
    public double? Upper { get; set; }
    /// <summary><c>SeedsAndExamples</c>, <c>ExamplesOnly</c>, <c>SeedsOnly</c> or <c>None</c>.</summary>
    public string? IntervalMethod { get; set; }
    /// <summary>The floor (e.g. the majority-class rate) on the same test examples, when known.</summary>
    public double? Floor { get; set; }
    public string? FloorName { get; set; }
    /// <summary>The interval does not clear the floor: the configuration is no better than a trivial prediction.</summary>
    public bool AtFloor { get; set; }
    /// <summary>Two or more seeds with identical results (flagged, never read as zero variance).</summary>
    public bool IdenticalSeeds { get; set; }
    /// <summary>Mean validation value of the same experiments (what model selection looks at).</summary>
    public double? ValidationMean { get; set; }
    public long TrainableParameters { get; set; }
    public long TotalParameters { get; set; }
    public long Steps { get; set; }
    public double? ImagesPerSecond { get; set; }
    /// <summary>Mean wall time of the training attempts, seconds.</summary>
    public double? TrainSeconds { get; set; }
    public Guid? SuiteRunId { get; set; }
    public string? Suite { get; set; }
    public Guid LatestExperimentId { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>A board's settings: the pinned baseline configuration shown beside the ranking.</summary>
public sealed class LeaderboardPin
{
    public Guid ProjectId { get; set; } = Project.DefaultId;
    public string Board { get; set; } = "";
    public string BaselineConfigurationHash { get; set; } = "";
    public string? PinnedBy { get; set; }
    public DateTimeOffset PinnedAt { get; set; }
}

/// <summary>
/// One board's summary (what the board list shows), kept beside its entries by <see cref="Leaderboards.LeaderboardProjection"/>
/// so listing boards reads a handful of rows instead of aggregating every entry.
/// </summary>
public sealed class LeaderboardBoard
{
    public Guid ProjectId { get; set; } = Project.DefaultId;
    public string Board { get; set; } = "";
    public string Dataset { get; set; } = "";
    public string LabelFamily { get; set; } = "";
    public string Domain { get; set; } = "";
    public string Task { get; set; } = "";
    public string Metric { get; set; } = "";
    /// <summary>Configurations ranked on the board.</summary>
    public int Configurations { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
