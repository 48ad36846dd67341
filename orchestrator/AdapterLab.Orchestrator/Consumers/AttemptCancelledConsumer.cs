using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using AdapterLab.Orchestrator.Lifecycle;
using AdapterLab.Orchestrator.Scheduling;
using MassTransit;

namespace AdapterLab.Orchestrator.Consumers;

/// <summary>The agent stopped the attempt on request and saved a checkpoint that a retry resumes from.</summary>
public sealed class AttemptCancelledConsumer(PlatformDbContext db, DispatchSignal signal, TimeProvider clock) : IConsumer<AttemptCancelled>
{
    public async Task Consume(ConsumeContext<AttemptCancelled> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        if (await AttemptFence.LoadCurrentAsync(db, m.ExperimentId, m.AttemptNumber, ct) is not ({ } e, { } attempt)) return;
        if (attempt.Status.IsTerminal()) return;
        var now = clock.GetUtcNow();
        attempt.Status = ExperimentStatus.Cancelled;
        attempt.FinishedAt = now;
        attempt.Step = Math.Max(attempt.Step, m.Step);
        e.Step = Math.Max(e.Step, m.Step);
        var news = e.Status.IsTerminal() ? null : ExperimentLifecycle.Transition(db, e, ExperimentStatus.Cancelled, Actors.Agent(attempt.AgentId), $"stopped at step {attempt.Step}", now);
        await db.SaveChangesAsync(ct);
        if (m.ResumeBlob is { } blob)
            await CheckpointRows.InsertAsync(db, e.Id, m.AttemptNumber, m.Step, "resume", blob, 0, now, ct);
        signal.Raise();
        if (news is not null) await context.Publish(news, ct);
    }
}
