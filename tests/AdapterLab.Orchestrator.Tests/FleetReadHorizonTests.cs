using AdapterLab.Orchestrator.Fleet;
using Xunit;

namespace AdapterLab.Orchestrator.Tests;

/// <summary>The lease reaper's clock: the time up to which the fleet queue has been read and stored.</summary>
public sealed class FleetReadHorizonTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);
    private static DateTimeOffset At(double seconds) => T0.AddSeconds(seconds);

    [Fact]
    public void Nothing_is_read_until_the_first_round_and_an_empty_queue_is_read_up_to_the_rounds_start()
    {
        var h = new FleetReadHorizon();
        Assert.Null(h.ReadUntil);
        h.RoundStarted(At(0), 0);
        Assert.Equal(At(0), h.ReadUntil);
        h.RoundStarted(At(0.5), 0);
        Assert.Equal(At(0.5), h.ReadUntil);
    }

    [Fact]
    public void A_round_counts_as_read_only_once_the_reports_waiting_at_its_start_are_stored()
    {
        var h = new FleetReadHorizon();
        h.RoundStarted(At(0), 0);
        h.RoundStarted(At(1), 300); // 300 waiting; a round takes at most its prefetch
        h.Stored(200);
        Assert.Equal(At(0), h.ReadUntil); // 100 of those waiting at 1 s are not stored yet: a stalled or partial read
        h.RoundStarted(At(2), 250); // the other 100 and 150 that arrived since
        h.Stored(100);
        Assert.Equal(At(1), h.ReadUntil);
        h.Stored(149);
        Assert.Equal(At(1), h.ReadUntil);
        h.Stored(1);
        Assert.Equal(At(2), h.ReadUntil);
    }

    [Fact]
    public void A_failed_round_or_a_new_session_does_not_move_the_horizon_and_it_never_moves_back()
    {
        var h = new FleetReadHorizon();
        h.RoundStarted(At(0), 0);
        h.RoundStarted(At(1), 10); // its write fails: nothing stored, the reports go back to the queue
        h.SessionStarted();        // the connection dropped; a new session counts afresh
        Assert.Equal(At(0), h.ReadUntil);
        h.RoundStarted(At(3), 12);
        h.Stored(11);
        Assert.Equal(At(0), h.ReadUntil);
        h.Stored(1);
        Assert.Equal(At(3), h.ReadUntil);
        h.RoundStarted(At(2), 0); // a clock that stepped back
        Assert.Equal(At(3), h.ReadUntil);
    }
}
