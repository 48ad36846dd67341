namespace AdapterLab.Orchestrator.Fleet;

/// <summary>
/// The time up to which this orchestrator has read the fleet queue: every announcement and heartbeat that was waiting
/// in the queue before <see cref="ReadUntil"/> has been stored (or refused, or dropped as unreadable). The lease reaper
/// judges leases against it, not against the wall clock: a lease that lapsed after it may have been renewed by a
/// heartbeat still in the queue — or in a round this orchestrator has taken but not yet written (a stalled write, a
/// paused process). So the reaper's clock stops when the fleet reads stop, and an orchestrator's own stall is never
/// its agents' death.
/// <para>
/// The queue is first in, first out: a round that starts at T with W reports waiting has read everything waiting at T
/// once W more reports than before T have been stored. Each round leaves such a mark (T, stored + W); storing advances
/// the horizon to the latest mark reached. A round that finds the queue empty advances it to its start at once. A new
/// session (reconnect) begins its count afresh — the reports not acknowledged went back to the queue — and the horizon
/// never moves back. With several orchestrators consuming the queue, each judges by its own reads (a report another
/// replica holds in an unfinished round is not covered).
/// </para>
/// </summary>
public sealed class FleetReadHorizon
{
    /// <summary>Marks kept while reads lag behind arrivals (a later mark covers an earlier one, so dropping the oldest only delays).</summary>
    private const int MaxMarks = 256;

    private readonly Lock _gate = new();
    private readonly Queue<(DateTimeOffset At, long Target)> _marks = new();
    private long _stored;
    private DateTimeOffset? _readUntil;

    /// <summary>Null until the first round of this process: nothing read, nothing to judge a lease by.</summary>
    public DateTimeOffset? ReadUntil
    {
        get { lock (_gate) return _readUntil; }
    }

    /// <summary>A new session on the queue: deliveries of the last one that were not acknowledged are back in the queue.</summary>
    public void SessionStarted()
    {
        lock (_gate)
        {
            _marks.Clear();
            _stored = 0;
        }
    }

    /// <summary>A round starts at <paramref name="at"/> (read before the count) with <paramref name="waiting"/> reports in the queue, and nothing of this session unacknowledged.</summary>
    public void RoundStarted(DateTimeOffset at, long waiting)
    {
        lock (_gate)
        {
            if (waiting <= 0)
            {
                _marks.Clear();
                Advance(at);
                return;
            }
            _marks.Enqueue((at, _stored + waiting));
            while (_marks.Count > MaxMarks) _marks.Dequeue();
        }
    }

    /// <summary><paramref name="count"/> reports were stored (or refused, or dropped) and acknowledged.</summary>
    public void Stored(int count)
    {
        lock (_gate)
        {
            _stored += count;
            while (_marks.TryPeek(out var mark) && mark.Target <= _stored)
            {
                _marks.Dequeue();
                Advance(mark.At);
            }
        }
    }

    private void Advance(DateTimeOffset at)
    {
        if (_readUntil is not { } had || at > had) _readUntil = at;
    }
}
