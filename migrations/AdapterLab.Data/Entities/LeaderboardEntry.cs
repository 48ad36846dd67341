namespace AdapterLab.Data.Entities;

/// <summary>
/// One configuration (spec minus seed) on one board (dataset/label family × domain × task × metric): its test-split mean
/// over seeds, maintained on write by <see cref="Leaderboards.LeaderboardProjection"/> so boards are read without aggregating.
/// </summary>
public sealed class LeaderboardEntry
{
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
