using AdapterLab.Contracts.Messages;

namespace AdapterLab.Training.Api;

/// <summary>What a finished (or cancelled) run produced.</summary>
public sealed record TrainingOutcome
{
    /// <summary>True when the run stopped early because its cancellation token fired (a checkpoint was written first).</summary>
    public bool Cancelled { get; init; }
    /// <summary>True when the run stopped at its rung (<see cref="TrainingJob.PauseAtStep"/>): <see cref="Results"/> hold the validation split only, <see cref="CheckpointPath"/> the rung checkpoint.</summary>
    public bool Paused { get; init; }
    public long FinalStep { get; init; }
    /// <summary>Final metrics per split × task × domain (empty when cancelled).</summary>
    public IReadOnlyList<FinalResult> Results { get; init; } = [];
    /// <summary>
    /// The floors evaluated on the same examples as <see cref="Results"/> (metric <c>metric@floor</c>, see
    /// <c>Floors</c> in the contracts): majority class; per-pixel majority class, per-pixel mean log-depth, mean normal,
    /// all-zero edges. Their per-example outcomes went to the observer's <c>OnPredictions</c>.
    /// </summary>
    public IReadOnlyList<FinalResult> Floors { get; init; } = [];
    /// <summary>pretrain: the trained backbone alone (common ViT names, no head), as safetensors.</summary>
    public string? BackboneWeightsPath { get; init; }
    /// <summary>The run's own weights as safetensors: the whole model for pretrain, trainable tensors (+ head) for adaptation.</summary>
    public string? OutputWeightsPath { get; init; }
    /// <summary>Last resumable checkpoint (also reported through the observer).</summary>
    public string? CheckpointPath { get; init; }
    public long TrainableParameters { get; init; }
    public long TotalParameters { get; init; }
    public double ImagesPerSecond { get; init; }
    public long PeakMemoryBytes { get; init; }
}

/// <summary>The training itself failed (exception in the model, NaN or diverging loss): not an infrastructure problem.</summary>
public sealed class TrainingFailedException(string reason, long lastStep, Exception? inner = null) : Exception(reason, inner)
{
    public long LastStep { get; } = lastStep;
}
