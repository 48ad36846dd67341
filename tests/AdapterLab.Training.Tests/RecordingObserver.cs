using AdapterLab.Contracts.Messages;
using AdapterLab.Training.Api;

namespace AdapterLab.Training.Tests;

/// <summary>Keeps everything a run reports; optionally cancels the run after a given step.</summary>
public sealed class RecordingObserver(CancellationTokenSource? cancelAfter = null, long cancelAtStep = long.MaxValue) : ITrainingObserver
{
    public TrainingStart? Start { get; private set; }
    public List<MetricPoint> Points { get; } = [];
    public List<(long Step, string Path)> Checkpoints { get; } = [];

    public IEnumerable<(long Step, double Loss)> Losses => Points.Where(p => p.Name == "loss").Select(p => (p.Step, p.Value));

    public void OnStarted(TrainingStart start) => Start = start;

    public void OnProgress(long step, long totalSteps, IReadOnlyList<MetricPoint> points)
    {
        Points.AddRange(points);
        if (step >= cancelAtStep) cancelAfter?.Cancel();
    }

    public void OnCheckpoint(long step, string path) => Checkpoints.Add((step, path));
}
