using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using AdapterLab.Orchestrator.Lifecycle;
using AdapterLab.Orchestrator.Scheduling;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Orchestrator.Consumers;

/// <summary>A user's retry puts a Failed or Cancelled experiment back in the queue; the next attempt resumes from its latest checkpoint.</summary>
public sealed class RetryRequestedConsumer(PlatformDbContext db, DispatchSignal signal, TimeProvider clock) : IConsumer<RetryRequested>
{
    public async Task Consume(ConsumeContext<RetryRequested> context)
    {
        var m = context.Message;
        var e = await db.Experiments.SingleOrDefaultAsync(x => x.Id == m.ExperimentId, context.CancellationToken);
        if (e is null || e.Status is not (ExperimentStatus.Failed or ExperimentStatus.Cancelled)) return;
        e.CancelRequested = false;
        e.FailureReason = null;
        e.FinishedAt = null;
        e.TrainingFailureRetries = 0;
        e.WaitingReason = "retry requested";
        var news = ExperimentLifecycle.Transition(db, e, ExperimentStatus.Queued, m.Actor, "retry requested", clock.GetUtcNow());
        await db.SaveChangesAsync(context.CancellationToken);
        signal.Raise();
        if (news is not null) await context.Publish(news, context.CancellationToken);
    }
}
