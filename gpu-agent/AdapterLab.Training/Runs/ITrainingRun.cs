using AdapterLab.Contracts.Messages;
using AdapterLab.Training.Api;

namespace AdapterLab.Training.Runs;

/// <summary>
/// What one kind of experiment (classification, multitask) adds to the shared <see cref="TrainingLoop"/>: its model, its
/// step, its evaluation and its outputs. The loop owns steps, schedule, evaluation and checkpoint cadence, cancellation,
/// resume and failure handling; a run never decides when.
/// </summary>
public interface ITrainingRun : IDisposable
{
    RunPlan Plan { get; }
    long TrainableParameters { get; }
    long TotalParameters { get; }

    /// <summary><c>cpu</c> or <c>cuda</c>.</summary>
    string Device { get; }

    /// <summary>What the checkpoint holds (model tensors that train, buffers, optimisers) and whose it is.</summary>
    Checkpoint.Layout CheckpointLayout { get; }

    /// <summary>Training data and anything else the first step needs; called after <c>OnStarted</c>, so the attempt shows as Running while it is built.</summary>
    void PrepareTraining();

    /// <summary>
    /// One optimisation step at 0-based <paramref name="step"/>: its total loss (NaN or ∞ ends the run as failed) and the
    /// step's train metric points. Measurements on a cadence of their own (multitask task affinity) report to <paramref name="observer"/>.
    /// </summary>
    StepLoss Step(long step, double learningRate, ITrainingObserver observer);

    /// <summary>Samples consumed before <paramref name="step"/> (stored in checkpoints).</summary>
    long DataPosition(long step);

    /// <summary>Evaluates validation and test on every evaluation domain, floors included (as <c>metric@floor</c>); per-example outcomes go to <paramref name="observer"/>.</summary>
    IReadOnlyList<FinalResult> Evaluate(long step, ITrainingObserver observer);

    /// <summary>
    /// Measurements taken at every evaluation step, after an intermediate evaluation and before the final one, returned as
    /// metric points reported with the step (classification: branch ratios). Measurements on a cadence of their own
    /// (multitask task affinity) happen in <see cref="Step"/> instead.
    /// </summary>
    IReadOnlyList<MetricPoint> Measure(long step, ITrainingObserver observer);

    /// <summary>The run's weights after training (and its artifacts, reported through <paramref name="observer"/>).</summary>
    RunOutputs WriteOutputs(long step, string workDirectory, ITrainingObserver observer);

    /// <summary><c>evaluate</c>: loads the evaluated experiment's weights over the backbone.</summary>
    void LoadEvaluatedWeights(TrainingJob job);

    /// <summary><c>evaluate</c>: artifacts of an evaluation without training (multitask: the gallery).</summary>
    void WriteEvaluationArtifacts(string workDirectory, ITrainingObserver observer);
}

/// <summary>A step's total loss and the train metric points to report for it.</summary>
public sealed record StepLoss(double Total, IReadOnlyList<MetricPoint> Points);

/// <summary>Weights a finished run produced: the backbone alone (pretrain) and the run's own weights.</summary>
public sealed record RunOutputs(string? BackboneWeightsPath, string OutputWeightsPath);
