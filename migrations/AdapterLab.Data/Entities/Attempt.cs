using AdapterLab.Contracts.Lifecycle;

namespace AdapterLab.Data.Entities;

/// <summary>One try at running an experiment on one agent, fenced by its number and guarded by a lease.</summary>
public sealed class Attempt
{
    public long Id { get; set; }
    public Guid ExperimentId { get; set; }
    public int Number { get; set; }
    public string AgentId { get; set; } = "";
    public ExperimentStatus Status { get; set; }
    public DateTimeOffset DispatchedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public DateTimeOffset LeaseExpiresAt { get; set; }
    public DateTimeOffset? LastHeartbeatAt { get; set; }
    public long Step { get; set; }
    public long StartStep { get; set; }
    public string? ResumeBlob { get; set; }
    /// <summary>Backbone checkpoint hash pinned at dispatch.</summary>
    public string? BackboneBlob { get; set; }
    /// <summary>A trained model's weights the attempt starts from (evaluation, zero-shot transfer), pinned at dispatch.</summary>
    public string? ModelBlob { get; set; }
    /// <summary>Provenance JSON (jsonb): spec hash, backbone hash, generator version, git commit, packages, device, seed, host.</summary>
    public string? ProvenanceJson { get; set; }
    public string? FailureReason { get; set; }
    /// <summary>The agent handed the attempt back on a graceful shutdown: ended, but not a failure (no retry spent).</summary>
    public bool HandedBack { get; set; }
    public Experiment? Experiment { get; set; }
}
