using System.Text.Json;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using AdapterLab.Orchestrator.Lifecycle;
using MassTransit;
using Microsoft.Extensions.Options;

namespace AdapterLab.Orchestrator.Consumers;

/// <summary>Dispatched → Running, with provenance and parameter counts recorded on the attempt.</summary>
public sealed class AttemptStartedConsumer(PlatformDbContext db, IOptions<OrchestratorOptions> options, TimeProvider clock) : IConsumer<AttemptStarted>
{
    public async Task Consume(ConsumeContext<AttemptStarted> context)
    {
        var m = context.Message;
        if (await AttemptFence.LoadCurrentAsync(db, m.ExperimentId, m.AttemptNumber, context.CancellationToken) is not ({ } e, { } attempt)) return;
        if (attempt.Status != ExperimentStatus.Dispatched) return; // duplicate, or the attempt already ended
        var now = clock.GetUtcNow();
        attempt.Status = ExperimentStatus.Running;
        attempt.StartedAt = m.StartedAt;
        attempt.StartStep = m.StartStep;
        attempt.Step = Math.Max(attempt.Step, m.StartStep);
        attempt.ProvenanceJson = JsonSerializer.Serialize(m.Provenance, JsonSerializerOptions.Web);
        attempt.LeaseExpiresAt = Max(attempt.LeaseExpiresAt, now + options.Value.Lease);
        e.TrainableParameters = m.TrainableParameters;
        e.TotalParameters = m.TotalParameters;
        e.TotalSteps = m.TotalSteps;
        e.Step = Math.Max(e.Step, m.StartStep);
        e.StartedAt ??= m.StartedAt;
        ExperimentStatusChanged? news = null;
        if (e.Status == ExperimentStatus.Dispatched)
            news = ExperimentLifecycle.Transition(db, e, ExperimentStatus.Running, Actors.Agent(m.AgentId), m.StartStep > 0 ? $"resumed at step {m.StartStep}" : null, now);
        await db.SaveChangesAsync(context.CancellationToken);
        if (news is not null) await context.Publish(news, context.CancellationToken);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
