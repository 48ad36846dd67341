using System.Collections.Concurrent;
using AdapterLab.Contracts.Messages;

namespace AdapterLab.GpuAgent.Running;

/// <summary>
/// An attempt's log as the platform keeps it: lines numbered from 0, queued until the reporter ships them
/// (<see cref="AttemptLogged"/>), at most <see cref="MaxLines"/> per attempt — the last one kept says the rest stay in the
/// agent's own log — and each cut at <see cref="MaxLineLength"/> characters. Thread-safe; never blocks the training thread.
/// </summary>
public sealed class AttemptLog(TimeProvider clock, int maxLines = AttemptLog.MaxLines)
{
    /// <summary>Lines shipped per attempt (the platform stores no more: <c>AttemptLogLine.MaxLinesPerAttempt</c>).</summary>
    public const int MaxLines = 5_000;
    public const int MaxLineLength = 4_000;

    private readonly ConcurrentQueue<LogLine> _pending = new();
    private int _next;

    /// <summary>Lines written so far (kept or not).</summary>
    public int Written => Volatile.Read(ref _next);

    public bool IsEmpty => _pending.IsEmpty;

    public void Write(string level, string message)
    {
        int seq = Interlocked.Increment(ref _next) - 1;
        if (seq >= maxLines) return;
        if (seq == maxLines - 1)
            message = $"log limit reached ({maxLines:N0} lines per attempt): later lines are only in the agent's own log";
        else if (message.Length > MaxLineLength)
            message = message[..MaxLineLength];
        _pending.Enqueue(new LogLine(seq, clock.GetUtcNow(), level, message));
    }

    /// <summary>Takes up to <paramref name="max"/> queued lines, in order.</summary>
    public List<LogLine> Take(int max)
    {
        var batch = new List<LogLine>(Math.Min(max, 256));
        while (batch.Count < max && _pending.TryDequeue(out var line)) batch.Add(line);
        return batch;
    }

    /// <summary>Puts lines back after a failed send (they are keyed by number, so order does not matter).</summary>
    public void Return(IEnumerable<LogLine> lines)
    {
        foreach (var l in lines) _pending.Enqueue(l);
    }
}
