using System.Collections.Concurrent;
using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Predictions;
using AdapterLab.GpuAgent.Api;
using AdapterLab.Training.Api;
using MassTransit;

namespace AdapterLab.GpuAgent.Running;

/// <summary>
/// The training run's observer: metric points are queued on the training thread and published in batches by a
/// background flusher (never blocking a step); checkpoints are uploaded, then announced, and only once every point up to
/// them has been published: a resumed attempt starts after the checkpoint, so a point still queued here when the agent
/// dies after the announcement would never be reported again.
/// </summary>
public sealed class AttemptReporter : ITrainingObserver, IAsyncDisposable
{
    private readonly IBus _bus;
    private readonly ReliablePublisher _reliable;
    private readonly BlobClient _blobs;
    private readonly RunningAttemptState _state;
    private readonly string _agentId;
    private readonly ConcurrentQueue<MetricPoint> _points = new();
    private readonly ConcurrentDictionary<(string Split, string Task, string Domain, string Predictor), PredictionSet> _predictions = new();
    private readonly SemaphoreSlim _flushLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _flusher;
    private readonly DateTimeOffset _startedAt;
    private long _totalSteps;
    private long _startStep;
    private readonly Action<TimeSpan, int>? _stepTimed;
    private readonly SystemSampler _system;
    /// <summary>Set once the run's device is known: device memory is sampled only on a CUDA device.</summary>
    private volatile bool _onCuda;

    /// <summary>This attempt's log (what the agent logs while it runs it, and the progress lines), shipped with each flush.</summary>
    public AttemptLog Log { get; } = new(TimeProvider.System);

    public void OnStepTimed(TimeSpan elapsed, int images)
    {
        _system.StepTimed(elapsed, images);
        _stepTimed?.Invoke(elapsed, images);
    }

    /// <param name="startedAt">When the agent accepted the attempt (its AttemptStarted).</param>
    public AttemptReporter(IBus bus, ReliablePublisher reliable, BlobClient blobs, RunningAttemptState state, string agentId, Provenance provenance, DateTimeOffset startedAt, TimeSpan flushInterval,
        Action<TimeSpan, int>? stepTimed = null)
    {
        _stepTimed = stepTimed;
        _system = new SystemSampler(TimeProvider.System, () => _onCuda ? DeviceMemory.ProcessMiB() : null);
        _startedAt = startedAt;
        _bus = bus;
        _reliable = reliable;
        _blobs = blobs;
        _state = state;
        _agentId = agentId;
        Provenance = provenance;
        _flusher = Task.Run(() => FlushLoopAsync(flushInterval));
    }

    public Provenance Provenance { get; private set; }
    public string? LastCheckpointBlob { get; private set; }
    public long LastCheckpointStep { get; private set; }
    public long TotalSteps => _totalSteps;

    /// <summary>Preparation is done (the attempt was reported Running on acceptance): the facts it produced.</summary>
    public void OnStarted(TrainingStart start)
    {
        _totalSteps = start.TotalSteps;
        _startStep = start.StartStep;
        _onCuda = start.Device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase);
        Log.Write("Information", $"Prepared on {start.Device} ({start.Precision}): {start.TrainableParameters:N0} trainable of {start.TotalParameters:N0} parameters; "
            + (start.StartStep > 0 ? $"resuming at step {start.StartStep} of {start.TotalSteps}" : $"{start.TotalSteps} steps"));
        _state.ReportStep(start.StartStep);
        Provenance = Provenance with
        {
            Device = start.Device,
            Precision = start.Precision,
            Packages = new Dictionary<string, string>(Provenance.Packages.Concat(start.Packages).DistinctBy(kv => kv.Key)),
        };
        _reliable.PublishAsync(new AttemptPrepared
        {
            ExperimentId = _state.ExperimentId,
            AttemptNumber = _state.AttemptNumber,
            AgentId = _agentId,
            Provenance = Provenance,
            TrainableParameters = start.TrainableParameters,
            TotalParameters = start.TotalParameters,
            TotalSteps = start.TotalSteps,
            StartStep = start.StartStep,
            StartedAt = _startedAt,
            PreparedAt = DateTimeOffset.UtcNow,
        }).GetAwaiter().GetResult();
    }

    public void OnProgress(long step, long totalSteps, IReadOnlyList<MetricPoint> points)
    {
        _totalSteps = totalSteps;
        _state.ReportStep(step);
        foreach (var p in points) _points.Enqueue(p);
        // System metrics every couple of seconds and at the last step (split "system"; the run page charts them per attempt).
        foreach (var p in _system.Sample(step, force: step >= totalSteps)) _points.Enqueue(p);
        if (ProgressLines.Describe(step, totalSteps, points) is { } line) Log.Write("Information", line);
    }

    public void OnCheckpoint(long step, string path)
    {
        var (hash, size) = _blobs.UploadAsync(path, CancellationToken.None).GetAwaiter().GetResult();
        LastCheckpointBlob = hash;
        LastCheckpointStep = step;
        _reliable.RetryAsync(_ => FlushAsync(), "metric points").GetAwaiter().GetResult();
        _reliable.PublishAsync(new CheckpointSaved
        {
            ExperimentId = _state.ExperimentId,
            AttemptNumber = _state.AttemptNumber,
            Step = step,
            BlobHash = hash,
            SizeBytes = size,
            Kind = "resume",
        }).GetAwaiter().GetResult();
    }

    public void OnAffinity(long step, string estimator, IReadOnlyList<string> taskOrder, IReadOnlyList<double> values) =>
        _reliable.PublishAsync(new AffinityMeasured
        {
            ExperimentId = _state.ExperimentId,
            AttemptNumber = _state.AttemptNumber,
            Step = step,
            Estimator = estimator,
            TaskOrder = taskOrder.ToList(),
            Values = values.ToList(),
        }).GetAwaiter().GetResult();

    /// <summary>Per-example outcomes: the latest of each predictor × split × task × domain is kept (the final evaluation's wins).</summary>
    public void OnPredictions(EvaluationPredictions p) =>
        _predictions[(p.Split, p.Task, p.Domain, p.Predictor)] = new PredictionSet
        {
            Split = p.Split, Task = p.Task, Domain = p.Domain, Predictor = p.Predictor, ExampleIds = p.ExampleIds,
            Labels = p.Labels, Predicted = p.Predicted, Probabilities = p.Probabilities, ProbabilityClasses = p.ProbabilityClasses,
            Metrics = p.Metrics?.ToDictionary(kv => kv.Key, kv => kv.Value.Select(v => double.IsFinite(v) ? v : (double?)null).ToArray()),
            MetricParts = p.MetricParts,
        };

    /// <summary>
    /// The final evaluation's per-example predictions as one blob (checkpoint kind <c>predictions</c>, see
    /// <see cref="PredictionsFile"/>), uploaded and announced before the attempt reports success; nothing when the run
    /// evaluated nothing.
    /// </summary>
    public void PublishPredictions(string directory, long step)
    {
        if (_predictions.IsEmpty) return;
        var path = Path.Combine(directory, "predictions.json.gz");
        new PredictionsFile
        {
            Step = step,
            Sets = _predictions.OrderBy(kv => kv.Key.Split, StringComparer.Ordinal).ThenBy(kv => kv.Key.Task, StringComparer.Ordinal)
                .ThenBy(kv => kv.Key.Domain, StringComparer.Ordinal).ThenBy(kv => kv.Key.Predictor, StringComparer.Ordinal).Select(kv => kv.Value).ToList(),
        }.Write(path);
        OnArtifact(step, PredictionsFile.CheckpointKind, path);
    }

    /// <summary>Artifacts (the dense gallery zip, predictions): uploaded, then announced as a checkpoint of their kind.</summary>
    public void OnArtifact(long step, string kind, string path)
    {
        var (hash, size) = _blobs.UploadAsync(path, CancellationToken.None).GetAwaiter().GetResult();
        _reliable.PublishAsync(new CheckpointSaved
        {
            ExperimentId = _state.ExperimentId,
            AttemptNumber = _state.AttemptNumber,
            Step = step,
            BlobHash = hash,
            SizeBytes = size,
            Kind = kind,
        }).GetAwaiter().GetResult();
    }

    /// <summary>
    /// Publishes whatever is queued now (called on completion before the final message, so results follow their curves).
    /// Flushes are serialised, so when one returns every point queued before it has been taken by the broker, including
    /// a batch the background flusher had in flight. A batch the broker refuses goes back to the queue (points are keyed
    /// by step, so their order does not matter) and the exception propagates.
    /// </summary>
    public async Task FlushAsync()
    {
        await _flushLock.WaitAsync();
        try
        {
            while (!_points.IsEmpty)
            {
                var batch = new List<MetricPoint>(1000);
                while (batch.Count < 1000 && _points.TryDequeue(out var p)) batch.Add(p);
                var elapsed = (DateTimeOffset.UtcNow - _startedAt).TotalSeconds;
                var step = _state.Step;
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                    await _bus.Publish(new AttemptProgressed
                    {
                        ExperimentId = _state.ExperimentId,
                        AttemptNumber = _state.AttemptNumber,
                        Step = step,
                        TotalSteps = _totalSteps,
                        Points = batch,
                        StepsPerSecond = elapsed > 0 ? (step - _startStep) / elapsed : null,
                        PeakMemoryBytes = Environment.WorkingSet,
                    }, timeout.Token);
                }
                catch
                {
                    foreach (var p in batch) _points.Enqueue(p);
                    throw;
                }
            }
        }
        finally
        {
            _flushLock.Release();
        }
    }

    /// <summary>
    /// Ships the queued log lines. Best effort: a log that cannot be sent now waits for the next flush, and never fails
    /// the attempt (its results do not depend on it).
    /// </summary>
    public async Task ShipLogsAsync()
    {
        while (!Log.IsEmpty)
        {
            var batch = Log.Take(500);
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _bus.Publish(new AttemptLogged { ExperimentId = _state.ExperimentId, AttemptNumber = _state.AttemptNumber, Lines = batch }, timeout.Token);
            }
            catch (Exception)
            {
                Log.Return(batch);
                return;
            }
        }
    }

    private async Task FlushLoopAsync(TimeSpan interval)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            try
            {
                await FlushAsync();
            }
            catch (Exception)
            {
                // The broker may be briefly away; points stay queued and go with the next flush.
            }
            await ShipLogsAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _flusher;
        // The lines logged since the last flush (the attempt's end) go now.
        await ShipLogsAsync();
        _stop.Dispose();
        _flushLock.Dispose();
    }
}
