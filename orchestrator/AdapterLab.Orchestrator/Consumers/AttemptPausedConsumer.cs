using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Sweeps;
using AdapterLab.Data;
using AdapterLab.Orchestrator.Lifecycle;
using AdapterLab.Orchestrator.Scheduling;
using AdapterLab.Orchestrator.Sweeps;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Orchestrator.Consumers;

/// <summary>
/// A sweep trial reached its rung: in one transaction the attempt ends, its rung checkpoint is recorded (the one a
/// promotion resumes from; pinned while the trial is not terminal), the objective at the rung is stored once per
/// (trial, rung) and the experiment waits Paused; then the sweep's pass decides. A duplicate finds the attempt over and
/// changes nothing. A rung report without the sweep's objective fails the trial with the reason.
/// </summary>
public sealed class AttemptPausedConsumer(PlatformDbContext db, DispatchSignal dispatch, SweepSignal sweeps, TimeProvider clock) : IConsumer<AttemptPaused>
{
    public async Task Consume(ConsumeContext<AttemptPaused> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await AttemptFence.LoadCurrentAsync(db, m.ExperimentId, m.AttemptNumber, ct) is not ({ } e, { } attempt)) return;
        if (!attempt.Status.IsActive() || e.Status.IsTerminal() || e.SweepId is not { } sweepId) return;
        var now = clock.GetUtcNow();
        var trial = await db.SweepTrials.SingleOrDefaultAsync(t => t.SweepId == sweepId && t.ExperimentId == e.Id, ct);
        var sweep = await db.Sweeps.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sweepId, ct);
        if (trial is null || sweep is null) return;

        ExperimentStatusChanged? running = null;
        if (e.Status == ExperimentStatus.Dispatched)
        {
            attempt.StartedAt ??= now;
            e.StartedAt ??= now;
            running = ExperimentLifecycle.Transition(db, e, ExperimentStatus.Running, Actors.Agent(attempt.AgentId), null, now);
        }
        attempt.Status = ExperimentStatus.Paused;
        attempt.FinishedAt = m.PausedAt;
        attempt.Step = Math.Max(attempt.Step, m.Step);
        e.Step = Math.Max(e.Step, m.Step);

        var objective = SweepDefinition.Parse(sweep.DefinitionJson).Objective;
        var (value, problem) = objective.ValueIn(m.Results, e.SourceDomain);
        ExperimentStatusChanged? news;
        if (value is { } v)
        {
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO sweep_rung_results (sweep_id, trial_index, rung, step, value, recorded_at)
                VALUES ({sweepId}, {trial.Index}, {trial.TargetRung}, {m.Step}, {v}, {now})
                ON CONFLICT DO NOTHING
                """, ct);
            news = ExperimentLifecycle.Transition(db, e, ExperimentStatus.Paused, Actors.Agent(attempt.AgentId),
                $"rung {trial.TargetRung} at step {m.Step}: {objective.Split} {objective.Metric} {v:0.####}", now);
        }
        else
        {
            e.FailureReason = $"the sweep's objective is missing at rung {trial.TargetRung}: {problem}";
            news = ExperimentLifecycle.Transition(db, e, ExperimentStatus.Failed, Actors.Agent(attempt.AgentId), e.FailureReason, now);
        }
        await db.SaveChangesAsync(ct);
        if (!string.IsNullOrEmpty(m.ResumeBlob))
            await CheckpointRows.InsertAsync(db, e.Id, m.AttemptNumber, m.Step, "resume", m.ResumeBlob, 0, now, ct);
        await tx.CommitAsync(ct);

        dispatch.Raise();
        sweeps.Raise();
        if (running is not null) await context.Publish(running, ct);
        if (news is not null) await context.Publish(news, ct);
    }
}
