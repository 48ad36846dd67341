using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Specs;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Orchestrator.Lifecycle;
using AdapterLab.Orchestrator.Scheduling;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Orchestrator.Consumers;

/// <summary>
/// Final results, output checkpoints and the Succeeded state in one transaction; a pretrain that names its backbone makes
/// it ready, which releases experiments waiting for it. A duplicate finds the experiment terminal and changes nothing.
/// </summary>
public sealed class AttemptSucceededConsumer(PlatformDbContext db, DispatchSignal signal, TimeProvider clock) : IConsumer<AttemptSucceeded>
{
    public async Task Consume(ConsumeContext<AttemptSucceeded> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await AttemptFence.LoadCurrentAsync(db, m.ExperimentId, m.AttemptNumber, ct) is not ({ } e, { } attempt)) return;
        if (e.Status.IsTerminal()) return;
        var now = clock.GetUtcNow();

        // An attempt that succeeded ran, even when its AttemptStarted has not been processed yet (it comes moments before
        // on a short run, and the orchestrator consumes concurrently): the audit log keeps Dispatched → Running → Succeeded.
        ExperimentStatusChanged? running = null;
        if (e.Status == ExperimentStatus.Dispatched)
        {
            attempt.StartedAt ??= now;
            e.StartedAt ??= now;
            running = ExperimentLifecycle.Transition(db, e, ExperimentStatus.Running, Actors.Agent(attempt.AgentId), null, now);
        }
        attempt.Status = ExperimentStatus.Succeeded;
        attempt.FinishedAt = m.FinishedAt;
        attempt.Step = Math.Max(attempt.Step, m.Step);
        e.Step = Math.Max(e.Step, m.Step);
        e.OutputBlob = m.OutputBlob;
        e.BackboneBlob = m.BackboneBlob;
        e.ImagesPerSecond = m.ImagesPerSecond ?? e.ImagesPerSecond;
        e.PeakMemoryBytes = m.PeakMemoryBytes ?? e.PeakMemoryBytes;
        e.WaitingReason = null;
        e.FailureReason = null;
        var news = ExperimentLifecycle.Transition(db, e, ExperimentStatus.Succeeded, Actors.Agent(attempt.AgentId), DryRun(e) ? "dry run: nothing was trained" : null, now);

        var existing = await db.FinalResults.Where(r => r.ExperimentId == e.Id).ToListAsync(ct);
        db.FinalResults.RemoveRange(existing);
        foreach (var r in m.Results.DistinctBy(r => (r.Split, r.Task, r.Domain, r.Metric)))
            db.FinalResults.Add(new() { ExperimentId = e.Id, Split = r.Split, Task = r.Task, Domain = r.Domain, Metric = r.Metric, Value = r.Value, AttemptNumber = m.AttemptNumber });

        if (e.RegistersBackbone is { } name && m.BackboneBlob is { } blob)
        {
            var backbone = await db.Backbones.SingleOrDefaultAsync(b => b.Name == name, ct);
            if (backbone is not null && backbone.SourceExperimentId == e.Id)
            {
                backbone.BlobHash = blob;
                backbone.ReadyAt = now;
            }
        }
        await db.Database.ExecuteSqlInterpolatedAsync($"UPDATE agents SET consecutive_failures = 0 WHERE id = {attempt.AgentId}", ct);
        await db.SaveChangesAsync(ct);
        await AdapterLab.Data.Leaderboards.LeaderboardProjection.RefreshAsync(db, e.Id, ct); // leaderboard_entries maintained on write (issue 8)
        await AdapterLab.Data.Leaderboards.LeaderboardIntervals.RefreshAsync(db, e.Id, ct);
        if (m.OutputBlob is { } output)
            await CheckpointRows.InsertAsync(db, e.Id, m.AttemptNumber, m.Step, "final", output, 0, now, ct);
        if (m.BackboneBlob is { } bb)
            await CheckpointRows.InsertAsync(db, e.Id, m.AttemptNumber, m.Step, "backbone", bb, 0, now, ct);
        await tx.CommitAsync(ct);

        signal.Raise();
        if (running is not null) await context.Publish(running, ct);
        if (news is not null) await context.Publish(news, ct);
    }

    private static bool DryRun(Experiment e) => e.SpecJson.Contains("\"dryRun\"", StringComparison.Ordinal) && SpecJson.Deserialize(e.SpecJson).Training.DryRun == true;
}
