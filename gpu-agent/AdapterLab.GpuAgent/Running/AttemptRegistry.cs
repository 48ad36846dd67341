using System.Collections.Concurrent;
using AdapterLab.Contracts.Messages;

namespace AdapterLab.GpuAgent.Running;

/// <summary>The attempts this agent runs now, and cancellations that arrived before their attempt did.</summary>
public sealed class AttemptRegistry
{
    private readonly ConcurrentDictionary<(Guid, int), RunningAttemptState> _running = new();
    private readonly ConcurrentDictionary<(Guid, int), DateTimeOffset> _cancelledEarly = new();

    private volatile bool _draining;

    public int Count => _running.Count;

    /// <summary>True once the agent is shutting down: no new attempt starts, running ones are handed back.</summary>
    public bool Draining => _draining;

    /// <summary>Stops taking work and interrupts every running attempt (each checkpoints and hands itself back).</summary>
    public void BeginDrain()
    {
        _draining = true;
        foreach (var state in _running.Values) state.Interrupt();
    }

    /// <summary>Waits until no attempt runs here any more (each has reported its end); false when <paramref name="ct"/> fires first.</summary>
    public async Task<bool> WaitUntilEmptyAsync(CancellationToken ct)
    {
        while (!_running.IsEmpty)
        {
            try
            {
                await Task.Delay(100, ct);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        return true;
    }

    public IReadOnlyList<RunningAttemptState> Snapshot() => _running.Values.ToList();

    /// <summary>Registers an attempt; false when it is already known (a redelivered RunExperiment).</summary>
    public bool TryAdd(RunningAttemptState state)
    {
        if (!_running.TryAdd((state.ExperimentId, state.AttemptNumber), state)) return false;
        // Raced with the start of a drain: stop at once (the runner hands it back).
        if (_draining) state.Interrupt();
        if (_cancelledEarly.TryRemove((state.ExperimentId, state.AttemptNumber), out _)) state.RequestCancel();
        return true;
    }

    public void Remove(RunningAttemptState state) => _running.TryRemove((state.ExperimentId, state.AttemptNumber), out _);

    public void Cancel(Guid experimentId, int attemptNumber)
    {
        if (_running.TryGetValue((experimentId, attemptNumber), out var state)) state.RequestCancel();
        else _cancelledEarly[(experimentId, attemptNumber)] = DateTimeOffset.UtcNow;
    }

    public IReadOnlyList<RunningAttempt> Describe() =>
        _running.Values.Select(s => new RunningAttempt(s.ExperimentId, s.AttemptNumber, s.Step)).ToList();
}

/// <summary>One running attempt: its stop switches and its progress as the heartbeat reports it.</summary>
public sealed class RunningAttemptState(Guid experimentId, int attemptNumber)
{
    private readonly CancellationTokenSource _stop = new();
    private long _step;

    public Guid ExperimentId { get; } = experimentId;
    public int AttemptNumber { get; } = attemptNumber;
    public long Step => Interlocked.Read(ref _step);
    /// <summary>True when a user cancelled (report Cancelled); false when the agent is shutting down (report an infrastructure failure so it is requeued).</summary>
    public bool CancelledByUser { get; private set; }
    public CancellationToken StopToken => _stop.Token;

    public void ReportStep(long step) => Interlocked.Exchange(ref _step, step);

    public void RequestCancel()
    {
        CancelledByUser = true;
        _stop.Cancel();
    }

    public void Interrupt() => _stop.Cancel();
}
