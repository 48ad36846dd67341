using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Orchestrator.Consumers;

/// <summary>
/// A message that still fails after every retry goes to its queue's <c>_error</c> queue (MassTransit's dead-lettering) and
/// a <see cref="Fault{T}"/> is published; this writes the reason into the experiment's audit log, so the experiment
/// shows why a report from its agent was not applied.
/// </summary>
public sealed class PoisonMessageConsumer(PlatformDbContext db, TimeProvider clock) :
    IConsumer<Fault<AttemptStarted>>, IConsumer<Fault<AttemptPrepared>>, IConsumer<Fault<AttemptProgressed>>, IConsumer<Fault<CheckpointSaved>>,
    IConsumer<Fault<AttemptSucceeded>>, IConsumer<Fault<AttemptFailed>>, IConsumer<Fault<AttemptCancelled>>,
    IConsumer<Fault<CancelRequested>>, IConsumer<Fault<RetryRequested>>
{
    public Task Consume(ConsumeContext<Fault<AttemptStarted>> c) => RecordAsync(c, c.Message.Message.ExperimentId, nameof(AttemptStarted));
    public Task Consume(ConsumeContext<Fault<AttemptPrepared>> c) => RecordAsync(c, c.Message.Message.ExperimentId, nameof(AttemptPrepared));
    public Task Consume(ConsumeContext<Fault<AttemptProgressed>> c) => RecordAsync(c, c.Message.Message.ExperimentId, nameof(AttemptProgressed));
    public Task Consume(ConsumeContext<Fault<CheckpointSaved>> c) => RecordAsync(c, c.Message.Message.ExperimentId, nameof(CheckpointSaved));
    public Task Consume(ConsumeContext<Fault<AttemptSucceeded>> c) => RecordAsync(c, c.Message.Message.ExperimentId, nameof(AttemptSucceeded));
    public Task Consume(ConsumeContext<Fault<AttemptFailed>> c) => RecordAsync(c, c.Message.Message.ExperimentId, nameof(AttemptFailed));
    public Task Consume(ConsumeContext<Fault<AttemptCancelled>> c) => RecordAsync(c, c.Message.Message.ExperimentId, nameof(AttemptCancelled));
    public Task Consume(ConsumeContext<Fault<CancelRequested>> c) => RecordAsync(c, c.Message.Message.ExperimentId, nameof(CancelRequested));
    public Task Consume(ConsumeContext<Fault<RetryRequested>> c) => RecordAsync(c, c.Message.Message.ExperimentId, nameof(RetryRequested));

    private async Task RecordAsync<T>(ConsumeContext<Fault<T>> context, Guid experimentId, string messageName) where T : class
    {
        var e = await db.Experiments.AsNoTracking().Where(x => x.Id == experimentId)
            .Select(x => new { x.Status, x.AttemptCount }).SingleOrDefaultAsync(context.CancellationToken);
        if (e is null) return;
        var error = context.Message.Exceptions.FirstOrDefault();
        var reason = $"{messageName} could not be processed and was moved to an error queue: {error?.ExceptionType}: {error?.Message}";
        // Keyed by the fault's id: a redelivered fault adds nothing.
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO state_transitions (experiment_id, attempt_number, "from", "to", actor, reason, at)
            SELECT {experimentId}, {e.AttemptCount}, {e.Status.ToString()}, {e.Status.ToString()}, {"broker"}, {reason + " (fault " + context.Message.FaultId + ")"}, {clock.GetUtcNow()}
            WHERE NOT EXISTS (SELECT 1 FROM state_transitions WHERE experiment_id = {experimentId} AND reason LIKE {"%(fault " + context.Message.FaultId + ")"})
            """, context.CancellationToken);
    }
}
