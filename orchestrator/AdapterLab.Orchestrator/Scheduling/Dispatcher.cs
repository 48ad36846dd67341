using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Specs;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Orchestrator.Lifecycle;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AdapterLab.Orchestrator.Scheduling;

/// <summary>
/// The queue lives in PostgreSQL: on every signal (and every few seconds regardless) this picks the next experiments for
/// free agent slots, creates their attempts with a lease in one transaction, then sends each <see cref="RunExperiment"/>
/// to its agent's own queue. Queued experiments that stay get a reason for waiting. A transaction-scoped advisory lock
/// makes concurrent orchestrators take turns.
/// </summary>
public sealed class Dispatcher(
    IDbContextFactory<PlatformDbContext> dbFactory,
    DispatchSignal signal,
    IBus bus,
    IOptions<OrchestratorOptions> options,
    TimeProvider clock,
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
        var o = options.Value;
        var sends = new List<(string Queue, RunExperiment Message)>();
        var news = new List<ExperimentStatusChanged>();

        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_xact_lock({AdvisoryLockKey})", ct);

            var queued = await db.Experiments
                .Where(e => e.Status == ExperimentStatus.Queued && !e.CancelRequested)
                .OrderByDescending(e => e.Priority).ThenBy(e => e.SubmittedAt)
                .Take(QueueWindow)
                .ToListAsync(ct);
            if (queued.Count == 0) return 0;

            var staleBefore = now - o.AgentStaleAfter;
            var agents = await db.Agents.AsNoTracking()
                .Where(a => !a.Stopped && !a.Quarantined && a.LastSeenAt > staleBefore)
                .ToListAsync(ct);
            var busy = await db.Attempts
                .Where(a => a.Status == ExperimentStatus.Dispatched || a.Status == ExperimentStatus.Running)
                .GroupBy(a => a.AgentId)
                .Select(g => new { AgentId = g.Key, Count = g.Count() })
                .ToDictionaryAsync(x => x.AgentId, x => x.Count, ct);
            var capacity = agents
                .Select(a => new AgentCapacity(a.Id, a.Pool, a.Slots, Math.Max(0, a.Slots - busy.GetValueOrDefault(a.Id))))
                .ToList();

            var resolutions = new Dictionary<Guid, WeightsResolution>();
            var items = new List<QueuedItem>(queued.Count);
            foreach (var e in queued)
            {
                var r = await WeightsResolver.ResolveAsync(db, e, ct);
                resolutions[e.Id] = r;
                if (r.FailReason is not null)
                {
                    e.FailureReason = r.FailReason;
                    e.WaitingReason = null;
                    if (ExperimentLifecycle.Transition(db, e, ExperimentStatus.Failed, Actors.Orchestrator, r.FailReason, now) is { } n) news.Add(n);
                    continue;
                }
                items.Add(new QueuedItem(e.Id, e.Pool, r.WaitReason));
            }

            var byId = queued.ToDictionary(e => e.Id);
            var agentById = agents.ToDictionary(a => a.Id);
            foreach (var p in QueuePlanner.Plan(items, capacity))
            {
                var e = byId[p.ExperimentId];
                if (p.AgentId is null)
                {
                    if (e.WaitingReason != p.WaitingReason)
                    {
                        e.WaitingReason = p.WaitingReason;
                        e.UpdatedAt = now;
                    }
                    continue;
                }
                var agent = agentById[p.AgentId];
                var resume = await db.Checkpoints.AsNoTracking()
                    .Where(c => c.ExperimentId == e.Id && c.Kind == "resume")
                    .OrderByDescending(c => c.Step).ThenByDescending(c => c.AttemptNumber)
                    .FirstOrDefaultAsync(ct);
                var weights = resolutions[e.Id];
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
                    LeaseExpiresAt = lease,
                    HeartbeatSeconds = (int)Math.Ceiling(o.HeartbeatSeconds),
                }));
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }

        // After commit: a send that fails leaves a Dispatched attempt whose lease expires, and the reaper requeues it.
        foreach (var (queue, message) in sends)
        {
            var endpoint = await bus.GetSendEndpoint(new Uri($"queue:{queue}"));
            await endpoint.Send(message, ct);
            log.LogInformation("Dispatched experiment {ExperimentId} attempt {Attempt} to {Queue}", message.ExperimentId, message.AttemptNumber, queue);
        }
        foreach (var n in news) await bus.Publish(n, ct);
        return sends.Count;
    }
}
