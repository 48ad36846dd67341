using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Specs;
using AdapterLab.Data;
using AdapterLab.Orchestrator.Fleet;
using AdapterLab.Orchestrator.Lifecycle;
using AdapterLab.Orchestrator.Telemetry;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AdapterLab.Orchestrator.Scheduling;

/// <summary>
/// Turns expired leases into <c>Lost</c> and requeues the experiment as a new attempt (resumed from its latest
/// checkpoint by the dispatcher), or fails it once <c>retry.maxAttempts</c> attempts have been lost.
/// While the orchestrator itself is cut off from the broker no heartbeat can reach it, so it reaps nothing then, nor for
/// one lease after the connection is back: its own isolation is not the agents' death — nor for one lease after it
/// started (a restarted orchestrator finds the heartbeats sent while it was away still waiting in the broker, behind
/// leases that look expired in the database until they are consumed). The same holds for the database:
/// while it is unreachable no heartbeat can be recorded (they wait in the broker, retried), so after a failed pass, and
/// for one lease after the database server (re)started by its own clock, the reaper declares nothing lost.
/// Leases are judged against the time up to which the fleet queue has been read (<see cref="FleetReadHorizon"/>), not
/// the wall clock: while this orchestrator's fleet reads stall (a blocked write, a paused process) a lapsed lease may
/// have been renewed by a heartbeat it has not stored yet, so the reaper's clock stops with them.
/// An attempt whose agent is still announcing but no longer lists it has ended on the agent, and its report is on its way:
/// it is declared lost only one lease later than otherwise, if the report has not been stored by then.
/// </summary>
public sealed class LeaseReaper(
    IDbContextFactory<PlatformDbContext> dbFactory,
    DispatchSignal signal,
    IBusControl bus,
    IOptions<OrchestratorOptions> options,
    FleetReadHorizon fleetRead,
    TimeProvider clock,
    OrchestratorMetrics metrics,
    ILogger<LeaseReaper> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.ReaperIntervalSeconds), clock);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await timer.WaitForNextTickAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            try
            {
                if (await ReapOnceAsync(stoppingToken) > 0) signal.Raise();
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                _databaseLastDown = clock.GetUtcNow();
                log.LogWarning(ex, "Reaper pass failed; retrying");
            }
        }
    }

    // Starting is like reconnecting: the broker may hold a backlog of heartbeats this orchestrator has not read yet.
    private DateTimeOffset _brokerLastDown = clock.GetUtcNow();
    private DateTimeOffset _databaseLastDown = DateTimeOffset.MinValue;

    /// <summary>One pass: returns the number of attempts declared lost.</summary>
    public async Task<int> ReapOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (bus.CheckHealth().Status != BusHealthStatus.Healthy)
        {
            _brokerLastDown = now;
            return 0;
        }
        if (now - _brokerLastDown < options.Value.Lease || now - _databaseLastDown < options.Value.Lease) return 0;
        var news = new List<ExperimentStatusChanged>();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // A database that restarted less than one lease ago could not record the heartbeats sent while it was down
        // (they wait in the broker, retried), even when no pass of this reaper happened to fail meanwhile.
        if (await DatabaseUptime.ReadAsync(db, ct) < options.Value.Lease) return 0;
        // A lease is lapsed when it ended before the fleet queue was read: nothing read yet, nothing judged.
        if (fleetRead.ReadUntil is not { } readUntil) return 0;
        var cutoff = readUntil < now ? readUntil : now;
        var oneLeaseAgo = cutoff - options.Value.Lease;
        var expired = await db.Attempts
            .Include(a => a.Experiment)
            .Where(a => (a.Status == ExperimentStatus.Dispatched || a.Status == ExperimentStatus.Running) && a.LeaseExpiresAt < cutoff)
            // Its agent is alive and has been heard from since the attempt's last heartbeat, without it: the agent let go
            // of the attempt, and its final report waits to be stored (a thousand attempts ending at once queue their
            // results for longer than a lease — bench perf-fleet). Awaited for one more lease at most, then lost as any.
            .Where(a => !(a.LeaseExpiresAt > oneLeaseAgo
                          && db.Agents.Any(g => g.Id == a.AgentId && g.LastSeenAt > a.LastHeartbeatAt && g.LastSeenAt > oneLeaseAgo)))
            .OrderBy(a => a.LeaseExpiresAt)
            .Take(100)
            .ToListAsync(ct);
        foreach (var attempt in expired)
        {
            var e = attempt.Experiment!;
            attempt.Status = ExperimentStatus.Lost;
            attempt.FinishedAt = now;
            attempt.FailureReason = $"lease expired: agent {attempt.AgentId} stopped heartbeating";
            if (e.AttemptCount != attempt.Number || e.Status.IsTerminal()) continue;

            if (ExperimentLifecycle.Transition(db, e, ExperimentStatus.Lost, Actors.Reaper, attempt.FailureReason, now) is { } lost) news.Add(lost);
            var spec = SpecJson.Deserialize(e.SpecJson);
            int lostSoFar = await db.Attempts.CountAsync(a => a.ExperimentId == e.Id && a.Status == ExperimentStatus.Lost && a.Id != attempt.Id, ct) + 1;
            if (e.CancelRequested)
            {
                if (ExperimentLifecycle.Transition(db, e, ExperimentStatus.Cancelled, Actors.Reaper, "cancelled; its agent was lost", now) is { } n) news.Add(n);
            }
            else if (lostSoFar >= spec.Retry.MaxAttempts)
            {
                e.FailureReason = $"lost {lostSoFar} attempt(s), the limit set by retry.maxAttempts; last: {attempt.FailureReason}";
                if (ExperimentLifecycle.Transition(db, e, ExperimentStatus.Failed, Actors.Reaper, e.FailureReason, now) is { } n) news.Add(n);
            }
            else
            {
                e.WaitingReason = "requeued after a lost attempt";
                if (ExperimentLifecycle.Transition(db, e, ExperimentStatus.Queued, Actors.Reaper, $"attempt {attempt.Number} lost; requeued ({lostSoFar}/{spec.Retry.MaxAttempts})", now) is { } n) news.Add(n);
            }
        }
        if (expired.Count > 0) await db.SaveChangesAsync(ct);
        // Logged once stored: a pass whose write is refused (an experiment that changed meanwhile) declared nothing lost.
        foreach (var attempt in expired)
            log.LogWarning("Attempt {Attempt} of experiment {ExperimentId} lost on agent {AgentId}", attempt.Number, attempt.ExperimentId, attempt.AgentId);
        foreach (var attempt in expired) metrics.LeaseExpired(attempt.Experiment!.Pool);
        foreach (var n in news) await bus.Publish(n, ct);
        return expired.Count;
    }
}
