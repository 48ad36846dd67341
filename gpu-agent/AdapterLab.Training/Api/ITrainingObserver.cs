using AdapterLab.Contracts.Messages;

namespace AdapterLab.Training.Api;

/// <summary>How a training run reports; called on the training thread, so implementations must be quick (buffer and return).</summary>
public interface ITrainingObserver
{
    /// <summary>Model built, weights loaded, about to take the first step.</summary>
    void OnStarted(TrainingStart start);

    /// <summary>New metric points (loss every step, evaluation metrics at evaluation steps).</summary>
    void OnProgress(long step, long totalSteps, IReadOnlyList<MetricPoint> points);

    /// <summary>A resumable checkpoint file was written (trainable tensors, buffers, optimizer state, step, data position).</summary>
    void OnCheckpoint(long step, string path);

    /// <summary>Multitask: one estimator's N×N task-affinity matrix at an evaluation step (row-major, row = source task, column = target).</summary>
    void OnAffinity(long step, string estimator, IReadOnlyList<string> taskOrder, IReadOnlyList<double> values) { }

    /// <summary>
    /// Per-example outcomes of an evaluation: once per predictor (the model, then each floor) × split × task × domain, at
    /// every evaluation step and at the end. The lists are the observer's to keep (not reused by the trainer).
    /// </summary>
    void OnPredictions(EvaluationPredictions predictions) { }

    /// <summary>One optimisation step's compute time and the images it consumed (for the agent's metrics; evaluation excluded).</summary>
    void OnStepTimed(TimeSpan elapsed, int images) { }

    /// <summary>A non-resumable artifact file, e.g. kind <c>gallery</c> (the dense prediction gallery zip, see Multitask/Gallery.cs).</summary>
    void OnArtifact(long step, string kind, string path) { }
}

/// <summary>Facts known once the model is built.</summary>
/// <param name="Precision">What the run computes in (<c>fp32</c>, <c>bf16</c>, or fp32 with the reason bf16 is off).</param>
public sealed record TrainingStart(long TrainableParameters, long TotalParameters, long TotalSteps, long StartStep, string Device, IReadOnlyDictionary<string, string> Packages, string Precision = "fp32");
