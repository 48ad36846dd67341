using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Specs;
using AdapterLab.Data;
using AdapterLab.Orchestrator.Lifecycle;
using AdapterLab.Orchestrator.Scheduling;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AdapterLab.Orchestrator.Consumers;

/// <summary>
/// Failure taxonomy: a failure of the training itself ends the experiment (unless <c>retry.onTrainingFailure</c> allows
/// more attempts); an infrastructure failure reported by the agent requeues like a lost lease. Repeated failures on one
/// agent quarantine it. An attempt handed back by a draining agent requeues at no cost: no attempt spent, no strike
/// against the agent, resumed from the checkpoint it saved on the way out.
/// </summary>
public sealed class AttemptFailedConsumer(PlatformDbContext db, DispatchSignal signal, IOptions<OrchestratorOptions> options, TimeProvider clock) : IConsumer<AttemptFailed>
{
    public async Task Consume(ConsumeContext<AttemptFailed> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        if (await AttemptFence.LoadCurrentAsync(db, m.ExperimentId, m.AttemptNumber, ct) is not ({ } e, { } attempt)) return;
        if (e.Status.IsTerminal() || attempt.Status.IsTerminal()) return;
        var now = clock.GetUtcNow();
        var spec = SpecJson.Deserialize(e.SpecJson);
        var actor = Actors.Agent(attempt.AgentId);

        attempt.Status = ExperimentStatus.Failed;
        attempt.FinishedAt = m.FailedAt;
        attempt.FailureReason = m.Reason;
        attempt.Step = Math.Max(attempt.Step, m.LastStep);
        attempt.HandedBack = m.HandedBack;
        if (m.ResumeBlob is { } resumeBlob)
            await CheckpointRows.InsertAsync(db, e.Id, m.AttemptNumber, m.LastStep, "resume", resumeBlob, 0, now, ct);

        ExperimentStatusChanged? news;
        if (m.CorruptBlob is { } corrupt)
        {
            // Never hand this blob out again: drop the checkpoints that point at it; the next attempt resumes from an
            // older one (or from the start). A corrupted backbone cannot be replaced here, so the experiment fails.
            var dropped = await db.Checkpoints.Where(c => c.BlobHash == corrupt && c.Kind == "resume").ExecuteDeleteAsync(ct);
            if (dropped == 0)
            {
                e.FailureReason = $"weights {corrupt} are corrupted in storage: {m.Reason}";
                news = ExperimentLifecycle.Transition(db, e, ExperimentStatus.Failed, actor, e.FailureReason, now);
                await db.SaveChangesAsync(ct);
                if (news is not null) await context.Publish(news, ct);
                return;
            }
        }
        if (e.CancelRequested)
        {
            news = ExperimentLifecycle.Transition(db, e, ExperimentStatus.Cancelled, actor, "cancelled (the attempt failed while stopping)", now);
        }
        else if (m.HandedBack)
        {
            e.WaitingReason = $"handed back by agent {attempt.AgentId} (shutting down); resumes from " + (m.ResumeBlob is null ? "its latest checkpoint" : $"step {m.LastStep}");
            news = ExperimentLifecycle.Transition(db, e, ExperimentStatus.Queued, actor, $"attempt {attempt.Number} handed back at step {m.LastStep} ({m.Reason}); requeued", now);
        }
        else if (m.TrainingFailure && e.TrainingFailureRetries >= spec.Retry.OnTrainingFailure)
        {
            e.FailureReason = $"training failed at step {m.LastStep}: {m.Reason}";
            news = ExperimentLifecycle.Transition(db, e, ExperimentStatus.Failed, actor, e.FailureReason, now);
        }
        else
        {
            if (m.TrainingFailure) e.TrainingFailureRetries++;
            int failed = await db.Attempts.CountAsync(a => a.ExperimentId == e.Id && (a.Status == ExperimentStatus.Lost || a.Status == ExperimentStatus.Failed) && !a.HandedBack && a.Id != attempt.Id, ct) + 1;
            if (!m.TrainingFailure && failed >= spec.Retry.MaxAttempts)
            {
                e.FailureReason = $"{failed} attempt(s) failed, the limit set by retry.maxAttempts; last: {m.Reason}";
                news = ExperimentLifecycle.Transition(db, e, ExperimentStatus.Failed, actor, e.FailureReason, now);
            }
            else
            {
                e.WaitingReason = "requeued after a failed attempt";
                news = ExperimentLifecycle.Transition(db, e, ExperimentStatus.Queued, actor, $"attempt {attempt.Number} failed ({m.Reason}); requeued", now);
            }
        }

        var agent = await db.Agents.SingleOrDefaultAsync(a => a.Id == attempt.AgentId, ct);
        if (agent is not null && !m.HandedBack)
        {
            agent.ConsecutiveFailures++;
            if (agent.ConsecutiveFailures >= options.Value.QuarantineAfterFailures && !agent.Quarantined)
            {
                agent.Quarantined = true;
                agent.QuarantineReason = $"{agent.ConsecutiveFailures} failed runs in a row; last: {m.Reason}";
            }
        }
        await db.SaveChangesAsync(ct);
        signal.Raise();
        if (news is not null) await context.Publish(news, ct);
    }
}
