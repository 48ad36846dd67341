namespace AdapterLab.Contracts.Messages;

/// <summary>Orchestrator → one agent's queue: run this attempt. The agent acknowledges on acceptance, not on completion.</summary>
public sealed record RunExperiment
{
    public Guid ExperimentId { get; init; }
    public int AttemptNumber { get; init; }
    /// <summary>The resolved spec as canonical JSON.</summary>
    public string SpecJson { get; init; } = "";
    public string SpecHash { get; init; } = "";
    /// <summary>sha256 of the backbone weights blob (safetensors) pinned at dispatch; null for a random backbone.</summary>
    public string? BackboneBlob { get; init; }
    /// <summary>sha256 of the checkpoint to resume from (a previous attempt's), if any.</summary>
    public string? ResumeBlob { get; init; }
    /// <summary>For <c>evaluate</c>: sha256 of the source experiment's output weights (trainable tensors + head).</summary>
    public string? ModelBlob { get; init; }
    /// <summary>
    /// A sweep trial's rung: train up to this step (under the schedule of the full <c>training.steps</c>), evaluate,
    /// checkpoint and report <see cref="AttemptPaused"/> instead of finishing; null: train to the end.
    /// </summary>
    public long? PauseAtStep { get; init; }
    public DateTimeOffset LeaseExpiresAt { get; init; }
    public int HeartbeatSeconds { get; init; }
}
