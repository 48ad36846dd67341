using System.Text.Json;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Orchestrator.Lifecycle;
using MassTransit;
using Microsoft.Extensions.Options;

namespace AdapterLab.Orchestrator.Consumers;

/// <summary>
/// Dispatched → Running as soon as the agent accepted the attempt (<see cref="AttemptStarted"/>, sent before any
/// preparation); provenance and parameter counts are recorded when preparation is done (<see cref="AttemptPrepared"/>).
/// Either message may come first, twice, or after the attempt ended: only the first to find the attempt Dispatched makes
/// the transition, and the experiment's row version turns a concurrent second one into a retry that finds it done.
/// </summary>
public sealed class AttemptStartedConsumer(PlatformDbContext db, IOptions<OrchestratorOptions> options, TimeProvider clock)
    : IConsumer<AttemptStarted>, IConsumer<AttemptPrepared>
{
    public async Task Consume(ConsumeContext<AttemptStarted> context)
    {
        var m = context.Message;
        if (await AttemptFence.LoadCurrentAsync(db, m.ExperimentId, m.AttemptNumber, context.CancellationToken) is not ({ } e, { } attempt)) return;
        if (attempt.Status != ExperimentStatus.Dispatched) return; // duplicate, overtaken by its AttemptPrepared, or the attempt already ended
        var news = MarkRunning(e, attempt, m.AgentId, m.StartedAt);
        if (m.Preparing)
            attempt.ProvenanceJson ??= Serialize(m.Provenance); // what is known at acceptance, until AttemptPrepared brings the rest
        else
            RecordFacts(e, attempt, m.Provenance, m.TrainableParameters, m.TotalParameters, m.TotalSteps, m.StartStep);
        await db.SaveChangesAsync(context.CancellationToken);
        if (news is not null) await context.Publish(news, context.CancellationToken);
    }

    public async Task Consume(ConsumeContext<AttemptPrepared> context)
    {
        var m = context.Message;
        if (await AttemptFence.LoadCurrentAsync(db, m.ExperimentId, m.AttemptNumber, context.CancellationToken) is not ({ } e, { } attempt)) return;
        // Overtook its AttemptStarted (the orchestrator consumes concurrently): the attempt is Running all the same.
        var news = attempt.Status == ExperimentStatus.Dispatched ? MarkRunning(e, attempt, m.AgentId, m.StartedAt) : null;
        RecordFacts(e, attempt, m.Provenance, m.TrainableParameters, m.TotalParameters, m.TotalSteps, m.StartStep);
        await db.SaveChangesAsync(context.CancellationToken);
        if (news is not null) await context.Publish(news, context.CancellationToken);
    }

    private ExperimentStatusChanged? MarkRunning(Experiment e, Attempt attempt, string agentId, DateTimeOffset startedAt)
    {
        var now = clock.GetUtcNow();
        attempt.Status = ExperimentStatus.Running;
        attempt.StartedAt = startedAt;
        attempt.LeaseExpiresAt = Max(attempt.LeaseExpiresAt, now + options.Value.Lease);
        e.Step = Math.Max(e.Step, attempt.StartStep);
        e.StartedAt ??= startedAt;
        // The resume step was chosen at dispatch (attempt.StartStep): known here before the agent has loaded anything.
        return e.Status == ExperimentStatus.Dispatched
            ? ExperimentLifecycle.Transition(db, e, ExperimentStatus.Running, Actors.Agent(agentId), attempt.StartStep > 0 ? $"resumed at step {attempt.StartStep}" : null, now)
            : null;
    }

    private static void RecordFacts(Experiment e, Attempt attempt, Provenance provenance, long trainable, long total, long totalSteps, long startStep)
    {
        attempt.StartStep = startStep;
        attempt.Step = Math.Max(attempt.Step, startStep);
        attempt.ProvenanceJson = Serialize(provenance);
        e.TrainableParameters = trainable;
        e.TotalParameters = total;
        e.TotalSteps = totalSteps;
        e.Step = Math.Max(e.Step, startStep);
    }

    private static string Serialize(Provenance p) => JsonSerializer.Serialize(p, JsonSerializerOptions.Web);

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
