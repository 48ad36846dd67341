using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Specs;
using AdapterLab.Data.Entities;
using AdapterLab.Data;
using AdapterLab.Messaging;
using AdapterLab.Orchestrator.Lifecycle;
using AdapterLab.Orchestrator.Telemetry;
using AdapterLab.ServiceDefaults.Telemetry;
using MassTransit;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace AdapterLab.Orchestrator.Scheduling;

/// <summary>
/// The queue lives in PostgreSQL: on every signal (a submission, a freed slot, a cancel; and every few seconds
/// regardless) this picks the next experiments for free agent slots, creates their attempts with a lease in one
/// transaction, then sends each <see cref="RunExperiment"/> to its agent's own queue. Queued experiments that stay get a
/// reason for waiting. A pass reads the queue as plain columns and loads entities only for the experiments it changes, so
/// its cost with a long queue is one indexed read (bench perf-dispatch: scheduler pick with 1,000 queued). A
/// transaction-scoped advisory lock makes concurrent orchestrators take turns.
/// </summary>
public sealed class Dispatcher(
    IDbContextFactory<PlatformDbContext> dbFactory,
    DispatchSignal signal,
    FleetView fleet,
    IBus bus,
    IOptions<OrchestratorOptions> options,
    TimeProvider clock,
    OrchestratorMetrics metrics,
    ILogger<Dispatcher> log) : BackgroundService
{
    private const long AdvisoryLockKey = 0x4164_6170_7465_72; // "Adapter"
    private const int QueueWindow = 1000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.DispatchIntervalSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await DispatchOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                log.LogWarning(ex, "Dispatch pass failed; retrying");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            await signal.WaitAsync(interval, stoppingToken);
        }
    }

    /// <summary>One pass: returns the number of experiments dispatched.</summary>
    public async Task<int> DispatchOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        int queuedCount;
        var o = options.Value;
        var sends = new List<(string Queue, RunExperiment Message, string? TraceParent)>();
        var firstWaits = new List<(string Pool, TimeSpan Waited)>();
        var news = new List<ExperimentStatusChanged>();
        // Where a pass's time goes (read, resolve, plan, write, send), logged with it: the fleet benchmark's profile.
        double readMs = 0, resolveMs = 0, planMs = 0, writeMs = 0;
        long mark = started;
        double Lap()
        {
            long t = System.Diagnostics.Stopwatch.GetTimestamp();
            double ms = System.Diagnostics.Stopwatch.GetElapsedTime(mark, t).TotalMilliseconds;
            mark = t;
            return ms;
        }

        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_xact_lock({AdvisoryLockKey})", ct);

            var queued = await QueueAsync(db, ct);
            if (queued.Count == 0) return 0;
            queuedCount = queued.Count;

            var staleBefore = now - o.AgentStaleAfter;
            // Staleness is filtered here, not in SQL: heartbeats move last_seen_at ahead of the table's statistics, so with
            // it in the query the planner estimated a single fresh agent and joined the tokens per agent in a nested loop
            // — 25–55 ms a pass at a thousand agents (bench perf-fleet), where a hash join over the non-stopped agents takes a few.
            var agents = (await fleet.ReadAsync(db, ct)).Where(a => a.LastSeenAt > staleBefore).ToList();
            var busy = await db.Attempts
                .Where(a => a.Status == ExperimentStatus.Dispatched || a.Status == ExperimentStatus.Running)
                .GroupBy(a => a.AgentId)
                .Select(g => new { AgentId = g.Key, Count = g.Count() })
                .ToDictionaryAsync(x => x.AgentId, x => x.Count, ct);
            var capacity = agents
                .Select(a => new AgentCapacity(a.Id, a.Pool, a.Slots, Math.Max(0, a.Slots - busy.GetValueOrDefault(a.Id))))
                .ToList();
            readMs = Lap();

            var resolver = new WeightsResolver(db);
            var resolutions = new Dictionary<Guid, WeightsResolution>();
            var failed = new Dictionary<Guid, string>();
            var items = new List<QueuedItem>(queued.Count);
            foreach (var q in queued)
            {
                var r = await resolver.ResolveAsync(new WeightsNeed(q.Kind, q.Preset, q.RequiresBackbone, q.RequiresExperiment, q.Project), ct);
                resolutions[q.Id] = r;
                if (r.FailReason is not null) failed[q.Id] = r.FailReason;
                else items.Add(new QueuedItem(q.Id, q.Pool, r.WaitReason, q.Project));
            }

            resolveMs = Lap();
            var limits = await LimitsAsync(db, queued.Select(q => q.Project), ct);
            var plan = QueuePlanner.Plan(items, capacity, limits);
            var byId = queued.ToDictionary(q => q.Id);
            var reasons = plan.Where(p => p.AgentId is null && byId[p.ExperimentId].WaitingReason != p.WaitingReason).ToList();
            if (reasons.Count > 0) await SetWaitingReasonsAsync(db, reasons, now, ct);
            planMs = Lap();

            // Only the experiments that change state are loaded as entities (spec and all): usually one or none per pass.
            var placed = plan.Where(p => p.AgentId is not null).ToList();
            if (placed.Count > 0)
            {
                // The pass planned with the fleet view (up to a second old): the agents it places work on are checked now.
                // One that stopped, was quarantined or lost its token since gets nothing; its experiments wait for the next
                // pass, which reads the fleet again.
                var eligible = await FleetView.StillEligibleAsync(db, placed.Select(p => p.AgentId!).Distinct().ToList(), now, ct);
                if (placed.RemoveAll(p => !eligible.Contains(p.AgentId!)) > 0)
                {
                    fleet.Changed();
                    signal.Raise();
                }
            }
            var changing = placed.Select(p => p.ExperimentId).Concat(failed.Keys).ToList();
            var entities = changing.Count == 0
                ? new Dictionary<Guid, Experiment>()
                : await db.Experiments.Where(e => changing.Contains(e.Id)).ToDictionaryAsync(e => e.Id, ct);
            foreach (var (id, reason) in failed)
            {
                if (!entities.TryGetValue(id, out var e) || e.Status != ExperimentStatus.Queued) continue;
                e.FailureReason = reason;
                e.WaitingReason = null;
                if (ExperimentLifecycle.Transition(db, e, ExperimentStatus.Failed, Actors.Orchestrator, reason, now) is { } n) news.Add(n);
            }

            var agentById = agents.ToDictionary(a => a.Id);
            foreach (var p in placed)
            {
                // Cancelled (or otherwise moved on) since the queue was read: its slot stays free for the next pass.
                if (!entities.TryGetValue(p.ExperimentId, out var e) || e.Status != ExperimentStatus.Queued || e.CancelRequested) continue;
                var agent = agentById[p.AgentId!];
                // A first attempt has no checkpoint to resume from: no lookup on the hot path.
                var resume = e.AttemptCount == 0 ? null : await db.Checkpoints.AsNoTracking()
                    .Where(c => c.ExperimentId == e.Id && c.Kind == "resume")
                    .OrderByDescending(c => c.Step).ThenByDescending(c => c.AttemptNumber)
                    .FirstOrDefaultAsync(ct);
                var weights = resolutions[e.Id];
                // The backbone is pinned now: the configuration becomes the science plus these weights' sha256.
                if (weights.BackboneBlob is { } pinned)
                    e.ConfigurationHash = ConfigurationIdentity.Hash(SpecJson.Deserialize(e.SpecJson), pinned);
                if (e.AttemptCount == 0) firstWaits.Add((e.Pool, now - e.SubmittedAt));
                e.AttemptCount++;
                e.WaitingReason = null;
                var lease = now + o.DispatchLease;
                db.Attempts.Add(new Attempt
                {
                    ExperimentId = e.Id,
                    Number = e.AttemptCount,
                    AgentId = agent.Id,
                    Status = ExperimentStatus.Dispatched,
                    DispatchedAt = now,
                    LeaseExpiresAt = lease,
                    Step = resume?.Step ?? 0,
                    StartStep = resume?.Step ?? 0,
                    ResumeBlob = resume?.BlobHash,
                    BackboneBlob = weights.BackboneBlob,
                    ModelBlob = weights.ModelBlob,
                });
                if (ExperimentLifecycle.Transition(db, e, ExperimentStatus.Dispatched, Actors.Orchestrator, $"attempt {e.AttemptCount} on agent {agent.Id}", now) is { } n) news.Add(n);
                sends.Add((agent.QueueName, new RunExperiment
                {
                    ExperimentId = e.Id,
                    AttemptNumber = e.AttemptCount,
                    SpecJson = e.SpecJson,
                    SpecHash = e.SpecHash,
                    BackboneBlob = weights.BackboneBlob,
                    ModelBlob = weights.ModelBlob,
                    ResumeBlob = resume?.BlobHash,
                    PauseAtStep = e.PauseAtStep,
                    LeaseExpiresAt = lease,
                    HeartbeatSeconds = (int)Math.Ceiling(o.HeartbeatSeconds),
                }, e.TraceParent));
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            writeMs = Lap();
        }

        // After commit: a send that fails leaves a Dispatched attempt whose lease expires, and the reaper requeues it.
        foreach (var (queue, message, traceParent) in sends)
        {
            // In the submission's trace: submit → dispatch → the agent's consume and its reports form one trace.
            using var span = PlatformTelemetry.StartUnder("dispatch", traceParent);
            span?.SetTag("adapterlab.experiment_id", message.ExperimentId.ToString());
            span?.SetTag("adapterlab.attempt", message.AttemptNumber);
            var endpoint = await bus.GetSendEndpoint(QueueNames.AgentAddress(queue));
            await endpoint.Send(message, ct);
            log.LogInformation("Dispatched experiment {ExperimentId} attempt {Attempt} to {Queue}", message.ExperimentId, message.AttemptNumber, queue);
        }
        if (sends.Count > 0)
        {
            // The scheduler's own cost (read the queue, plan, write the attempts, send), read by bench perf-dispatch.
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            log.LogInformation("Dispatch pass placed {Dispatched} of {Queued} queued in {PassMs:0.0} ms (read {ReadMs:0.0}, resolve {ResolveMs:0.0}, plan {PlanMs:0.0}, write {WriteMs:0.0}, send {SendMs:0.0})",
                sends.Count, queuedCount, elapsed.TotalMilliseconds, readMs, resolveMs, planMs, writeMs, Lap());
            metrics.DispatchPass(elapsed, sends.Count);
            foreach (var (pool, waited) in firstWaits) metrics.FirstDispatch(pool, waited);
        }
        foreach (var n in news) await bus.Publish(n, ct);
        return sends.Count;
    }

    /// <summary>A queued experiment as the pass reads it: the columns planning needs, not the entity (no spec).</summary>
    private sealed record QueueRow(Guid Id, string Pool, string Kind, string Preset, string? RequiresBackbone, Guid? RequiresExperiment,
        string? WaitingReason, Guid Project);

    /// <summary>
    /// The queue in order (priority, then submission time), the first <see cref="QueueWindow"/> of each project in each
    /// pool: a pool with free slots is never starved by a long queue in a pool without agents ahead of it, nor a project
    /// by another project's long queue at its quota. Index-driven (<c>ix_experiments_queue</c>): the (pool, project)
    /// pairs are found by skipping through the index (one probe per pair), and each pair's window is read in index order,
    /// so the cost does not grow with the queue's length (a window function over every queued row took 1–2.7 s a pass at
    /// 100,000 queued — bench perf-fleet).
    /// </summary>
    private static async Task<List<QueueRow>> QueueAsync(PlatformDbContext db, CancellationToken ct)
    {
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var cmd = new NpgsqlCommand($"""
            WITH RECURSIVE pairs(pool, project_id) AS (
                (SELECT pool, project_id FROM experiments WHERE status = 'Queued' AND NOT cancel_requested ORDER BY pool, project_id LIMIT 1)
                UNION ALL
                SELECT n.pool, n.project_id FROM pairs p CROSS JOIN LATERAL (
                    SELECT e.pool, e.project_id FROM experiments e
                    WHERE e.status = 'Queued' AND NOT e.cancel_requested AND (e.pool, e.project_id) > (p.pool, p.project_id)
                    ORDER BY e.pool, e.project_id LIMIT 1) n
            )
            SELECT q.id, q.pool, q.kind, q.preset, q.requires_backbone, q.requires_experiment, q.waiting_reason, q.project_id
            FROM pairs p CROSS JOIN LATERAL (
                SELECT id, pool, kind, preset, requires_backbone, requires_experiment, waiting_reason, priority, submitted_at, project_id
                FROM experiments e WHERE e.status = 'Queued' AND NOT e.cancel_requested AND e.pool = p.pool AND e.project_id = p.project_id
                ORDER BY e.priority DESC, e.submitted_at, e.id LIMIT {QueueWindow}) q
            ORDER BY q.priority DESC, q.submitted_at, q.id
            """, conn, (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction());
        var rows = new List<QueueRow>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(new QueueRow(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetGuid(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.GetGuid(7)));
        return rows;
    }

    /// <summary>
    /// Each quota of a project with queued work, with the slots the project holds in that pool now (its dispatched and
    /// running attempts). Read in the pass's transaction, under its lock: two orchestrators never both fill the last slot.
    /// </summary>
    private static async Task<List<ProjectPoolLimit>> LimitsAsync(PlatformDbContext db, IEnumerable<Guid> projects, CancellationToken ct)
    {
        var ids = projects.Distinct().ToArray();
        var quotas = await db.ProjectQuotas.AsNoTracking().Where(q => ids.Contains(q.ProjectId))
            .Join(db.Projects, q => q.ProjectId, p => p.Id, (q, p) => new { q.ProjectId, p.Name, q.Pool, q.MaxSlots }).ToListAsync(ct);
        if (quotas.Count == 0) return [];
        var limited = quotas.Select(q => q.ProjectId).Distinct().ToArray();
        var held = await db.Attempts.AsNoTracking()
            .Where(a => a.Status == ExperimentStatus.Dispatched || a.Status == ExperimentStatus.Running)
            .Join(db.Experiments, a => a.ExperimentId, e => e.Id, (a, e) => new { e.ProjectId, e.Pool })
            .Where(x => limited.Contains(x.ProjectId))
            .GroupBy(x => new { x.ProjectId, x.Pool }).Select(g => new { g.Key.ProjectId, g.Key.Pool, Count = g.Count() })
            .ToListAsync(ct);
        return quotas.Select(q => new ProjectPoolLimit(q.ProjectId, q.Name, q.Pool, q.MaxSlots,
            held.FirstOrDefault(h => h.ProjectId == q.ProjectId && h.Pool == q.Pool)?.Count ?? 0)).ToList();
    }

    /// <summary>Writes the reasons that changed in one statement (still-queued experiments only).</summary>
    private static Task SetWaitingReasonsAsync(PlatformDbContext db, IReadOnlyList<Placement> reasons, DateTimeOffset now, CancellationToken ct) =>
        db.Database.ExecuteSqlRawAsync("""
            UPDATE experiments e SET waiting_reason = u.reason, updated_at = @now
            FROM unnest(@ids, @reasons) AS u(id, reason)
            WHERE e.id = u.id AND e.status = 'Queued'
            """,
            [
                new NpgsqlParameter("now", now),
                new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = reasons.Select(r => r.ExperimentId).ToArray() },
                new NpgsqlParameter("reasons", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = reasons.Select(r => r.WaitingReason).ToArray() },
            ], ct);
}
