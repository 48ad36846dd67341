namespace AdapterLab.Contracts.Messages;

/// <summary>Agent → orchestrator: training finished; final results and the output checkpoint.</summary>
public sealed record AttemptSucceeded : IAttemptReport
{
    public Guid ExperimentId { get; init; }
    public int AttemptNumber { get; init; }
    public long Step { get; init; }
    public IReadOnlyList<FinalResult> Results { get; init; } = [];
    /// <summary>Final weights: the full backbone for pretrain, trainable tensors for adaptation.</summary>
    public string? OutputBlob { get; init; }
    /// <summary>For pretrain: the backbone-only safetensors blob that adaptations load.</summary>
    public string? BackboneBlob { get; init; }
    public double? ImagesPerSecond { get; init; }
    public long? PeakMemoryBytes { get; init; }
    public DateTimeOffset FinishedAt { get; init; }
}

/// <summary>A final metric on a split, per task and domain.</summary>
public sealed record FinalResult(string Split, string Task, string Domain, string Metric, double Value);
