namespace AdapterLab.Contracts.Messages;

/// <summary>Agent → orchestrator: training began; carries provenance and parameter counts.</summary>
public sealed record AttemptStarted
{
    public Guid ExperimentId { get; init; }
    public int AttemptNumber { get; init; }
    public string AgentId { get; init; } = "";
    public Provenance Provenance { get; init; } = new();
    public long TrainableParameters { get; init; }
    public long TotalParameters { get; init; }
    public long TotalSteps { get; init; }
    public long StartStep { get; init; }
    public DateTimeOffset StartedAt { get; init; }
}

/// <summary>Where and with what an attempt ran.</summary>
public sealed record Provenance
{
    public string SpecHash { get; init; } = "";
    public string? BackboneHash { get; init; }
    public string DataGeneratorVersion { get; init; } = "";
    public string GitCommit { get; init; } = "";
    public IReadOnlyDictionary<string, string> Packages { get; init; } = new Dictionary<string, string>();
    public string Device { get; init; } = "";
    public int Seed { get; init; }
    public string Host { get; init; } = "";
}
