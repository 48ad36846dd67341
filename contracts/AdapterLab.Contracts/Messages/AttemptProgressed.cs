namespace AdapterLab.Contracts.Messages;

/// <summary>Agent → orchestrator: a batch of metric points and the current step (batched, at most a few per second).</summary>
public sealed record AttemptProgressed : IAttemptReport
{
    public Guid ExperimentId { get; init; }
    public int AttemptNumber { get; init; }
    public long Step { get; init; }
    public long TotalSteps { get; init; }
    public IReadOnlyList<MetricPoint> Points { get; init; } = [];
    public double? StepsPerSecond { get; init; }
    public double? ImagesPerSecond { get; init; }
    public long? PeakMemoryBytes { get; init; }
}

/// <summary>One metric value at a step.</summary>
public sealed record MetricPoint(long Step, string Split, string Task, string Domain, string Name, double Value);
