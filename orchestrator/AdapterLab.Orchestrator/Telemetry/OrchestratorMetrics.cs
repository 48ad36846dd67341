using System.Diagnostics.Metrics;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Data;
using AdapterLab.Data.Fleet;
using AdapterLab.ServiceDefaults.Telemetry;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Orchestrator.Telemetry;

/// <summary>
/// The orchestrator's metrics (Prometheus names in brackets): from a <see cref="FleetSnapshot"/> refreshed every
/// <see cref="RefreshInterval"/> — queue depth and oldest wait per pool [adapterlab_queue_depth,
/// adapterlab_queue_oldest_wait_seconds], experiments by status [adapterlab_experiments], live attempts by status
/// [adapterlab_attempts_live], seconds since each agent was heard from [adapterlab_agent_heartbeat_age_seconds], outbox
/// backlog and lag [adapterlab_outbox_pending, adapterlab_outbox_lag_seconds], blob store size
/// [adapterlab_blob_store_size_bytes], how far behind the clock the fleet queue has been read
/// [adapterlab_fleet_read_lag_seconds] — and recorded where they happen: dispatch pass time [adapterlab_dispatch_pass_seconds],
/// submit → dispatch of first attempts per pool [adapterlab_dispatch_queue_wait_seconds], dispatches
/// [adapterlab_dispatched_total], lease expiries [adapterlab_lease_expiries_total], metric points ingested and the lag
/// from the agent's send to the write [adapterlab_metric_points_ingested_total, adapterlab_ingestion_lag_seconds], the
/// fleet's announcements, heartbeats and stops by kind and outcome (stored, refused, unreadable) [adapterlab_fleet_reports_total].
/// A scrape never touches the database: it reads the last snapshot.
/// </summary>
public sealed class OrchestratorMetrics : BackgroundService
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    private readonly IDbContextFactory<PlatformDbContext> _dbFactory;
    private readonly TimeProvider _clock;
    private readonly ILogger<OrchestratorMetrics> _log;
    private readonly Histogram<double> _dispatchPass;
    private readonly Histogram<double> _queueWait;
    private readonly Counter<long> _dispatched;
    private readonly Counter<long> _leaseExpiries;
    private readonly Counter<long> _pointsIngested;
    private readonly Histogram<double> _ingestionLag;
    private readonly Counter<long> _fleetReports;
    private volatile FleetSnapshot? _latest;

    public OrchestratorMetrics(IMeterFactory meters, IDbContextFactory<PlatformDbContext> dbFactory, Fleet.FleetReadHorizon fleetRead, TimeProvider clock, ILogger<OrchestratorMetrics> log)
    {
        _dbFactory = dbFactory;
        _clock = clock;
        _log = log;
        var meter = meters.Create(PlatformTelemetry.Name);
        _dispatchPass = meter.CreateHistogram<double>("adapterlab.dispatch.pass", "s", "Time of a dispatch pass that placed work: read the queue, plan, write attempts, send");
        _queueWait = meter.CreateHistogram<double>("adapterlab.dispatch.queue_wait", "s", "Submission to dispatch of first attempts");
        _dispatched = meter.CreateCounter<long>("adapterlab.dispatched", "{attempt}", "Attempts dispatched");
        _leaseExpiries = meter.CreateCounter<long>("adapterlab.lease.expiries", "{attempt}", "Attempts declared lost because their lease expired");
        _pointsIngested = meter.CreateCounter<long>("adapterlab.metric_points.ingested", "{point}", "Metric points written");
        _ingestionLag = meter.CreateHistogram<double>("adapterlab.ingestion.lag", "s", "An agent's progress report, from its send to its write");
        _fleetReports = meter.CreateCounter<long>("adapterlab.fleet.reports", "{message}", "Announcements, heartbeats and stops read off the fleet queue, by kind and outcome");

        meter.CreateObservableGauge("adapterlab.queue.depth", () => Snapshot(s => s.Queues.Select(q => new Measurement<long>(q.Depth, Tag("pool", q.Pool)))),
            "{experiment}", "Queued experiments per pool");
        meter.CreateObservableGauge("adapterlab.queue.oldest_wait", () => Snapshot(s => s.Queues.Select(q => new Measurement<double>(q.OldestWait.TotalSeconds, Tag("pool", q.Pool)))),
            "s", "Age of the oldest queued experiment per pool (since submission)");
        meter.CreateObservableGauge("adapterlab.experiments", () => Snapshot(s => s.ExperimentsByStatus.Select(kv => new Measurement<long>(kv.Value, Tag("status", kv.Key.ToString())))),
            "{experiment}", "Experiments by status");
        meter.CreateObservableGauge("adapterlab.attempts.live", () => Snapshot(s => s.LiveAttemptsByStatus.Select(kv => new Measurement<long>(kv.Value, Tag("status", kv.Key.ToString())))),
            "{attempt}", "Dispatched and Running attempts");
        meter.CreateObservableGauge("adapterlab.agent.heartbeat_age", () => Snapshot(s => s.Agents.Where(a => !a.Stopped).Select(a =>
                new Measurement<double>(a.Since.TotalSeconds, Tag("agent", a.Id), Tag("pool", a.Pool), Tag("quarantined", a.Quarantined ? "true" : "false")))),
            "s", "Seconds since each running agent was last heard from");
        meter.CreateObservableGauge("adapterlab.outbox.pending", () => Snapshot<long>(s => [new Measurement<long>(s.OutboxPending)]), "{message}", "Outbox messages not yet relayed");
        meter.CreateObservableGauge("adapterlab.outbox.lag", () => Snapshot<double>(s => [new Measurement<double>(s.OutboxOldestPending.TotalSeconds)]), "s", "Age of the oldest unrelayed outbox message");
        meter.CreateObservableGauge("adapterlab.blob_store.size", () => Snapshot<long>(s => [new Measurement<long>(s.BlobStoreBytes)]), "By", "Bytes held in the blob store");
        meter.CreateObservableGauge("adapterlab.fleet.read_lag", () => fleetRead.ReadUntil is { } at ? [new Measurement<double>((_clock.GetUtcNow() - at).TotalSeconds)] : Array.Empty<Measurement<double>>(),
            "s", "How far behind the wall clock the fleet queue has been read (the lease reaper judges leases up to that time)");
        meter.CreateObservableGauge("adapterlab.fleet_snapshot.age", () => Snapshot<double>(s => [new Measurement<double>((_clock.GetUtcNow() - s.At).TotalSeconds)]), "s", "Age of the snapshot these gauges read");
    }

    /// <summary>The last snapshot (null before the first).</summary>
    public FleetSnapshot? Latest => _latest;

    public void DispatchPass(TimeSpan elapsed, int placed)
    {
        _dispatchPass.Record(elapsed.TotalSeconds);
        _dispatched.Add(placed);
    }

    public void FirstDispatch(string pool, TimeSpan waited) => _queueWait.Record(waited.TotalSeconds, Tag("pool", pool));

    /// <summary>Fleet queue messages of <paramref name="kind"/> (a message type, or <c>unreadable</c>) with their outcome: <c>stored</c>, <c>refused</c>, <c>dropped</c>.</summary>
    public void FleetReports(string kind, string outcome, int count = 1) => _fleetReports.Add(count, Tag("kind", kind), Tag("outcome", outcome));

    public void LeaseExpired(string pool) => _leaseExpiries.Add(1, Tag("pool", pool));

    public void Ingested(int points, TimeSpan lag)
    {
        _pointsIngested.Add(points);
        if (lag >= TimeSpan.Zero) _ingestionLag.Record(lag.TotalSeconds);
    }

    /// <summary>Reads a fresh snapshot now (tests; the loop does it every <see cref="RefreshInterval"/>).</summary>
    public async Task<FleetSnapshot> RefreshAsync(CancellationToken ct)
    {
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        var snapshot = await FleetSnapshot.ReadAsync(db, _clock.GetUtcNow(), ct);
        _latest = snapshot;
        return snapshot;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RefreshInterval, _clock);
        do
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The gauges keep the last snapshot; its age (adapterlab_fleet_snapshot_age_seconds) shows it is stale.
                _log.LogWarning("Fleet snapshot failed: {Error}", ex.Message);
            }
        }
        while (await Tick(timer, stoppingToken));
    }

    private static async Task<bool> Tick(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }

    private IEnumerable<Measurement<T>> Snapshot<T>(Func<FleetSnapshot, IEnumerable<Measurement<T>>> read) where T : struct =>
        _latest is { } s ? read(s) : [];

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);
}
