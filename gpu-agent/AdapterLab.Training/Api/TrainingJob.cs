using AdapterLab.Contracts.Specs;

namespace AdapterLab.Training.Api;

/// <summary>Everything one training attempt needs; files, not byte arrays, so large weights stream.</summary>
public sealed record TrainingJob
{
    /// <summary>The validated spec.</summary>
    public required ExperimentSpec Spec { get; init; }

    /// <summary>safetensors file with the backbone weights (common ViT names); null: random initialisation.</summary>
    public string? BackboneWeightsPath { get; init; }

    /// <summary>For <c>evaluate</c>: safetensors with the source experiment's own weights (trainable tensors + head), applied on top of the backbone.</summary>
    public string? ModelWeightsPath { get; init; }

    /// <summary>Checkpoint written by an earlier attempt of the same experiment (see <see cref="ITrainingObserver.OnCheckpoint"/>); null: start at step 0.</summary>
    public string? ResumeCheckpointPath { get; init; }

    /// <summary>
    /// A sweep trial's rung: stop after this step (the schedule still runs over the spec's full <c>training.steps</c>, so
    /// a trial resumed across rungs equals one trained straight through), evaluate on validation and checkpoint; null:
    /// train to the end.
    /// </summary>
    public long? PauseAtStep { get; init; }

    /// <summary>Scratch folder for checkpoints and outputs (the caller deletes it).</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>Folder that folder datasets (<c>data.path</c>) resolve inside.</summary>
    public string? DataRoot { get; init; }

    /// <summary><c>auto</c>, <c>cpu</c> or <c>cuda</c>.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Torch intra-op threads (0: leave the default).</summary>
    public int Threads { get; init; }
}
