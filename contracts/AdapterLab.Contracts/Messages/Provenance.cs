namespace AdapterLab.Contracts.Messages;

/// <summary>Where and with what an attempt ran.</summary>
public sealed record Provenance
{
    public string SpecHash { get; init; } = "";
    public string? BackboneHash { get; init; }
    public string DataGeneratorVersion { get; init; } = "";
    public string GitCommit { get; init; } = "";
    public IReadOnlyDictionary<string, string> Packages { get; init; } = new Dictionary<string, string>();
    public string Device { get; init; } = "";
    /// <summary>What the attempt computed in: <c>fp32</c>, <c>bf16</c>, or <c>fp32 (bf16 is off on cpu)</c>.</summary>
    public string? Precision { get; init; }
    public int Seed { get; init; }
    public string Host { get; init; } = "";
}
