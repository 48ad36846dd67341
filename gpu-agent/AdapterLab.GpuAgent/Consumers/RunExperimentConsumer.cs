using AdapterLab.Contracts.Messages;
using AdapterLab.GpuAgent.Running;
using MassTransit;

namespace AdapterLab.GpuAgent.Consumers;

/// <summary>
/// Accepts an attempt and acknowledges at once: training runs on its own thread, so no broker delivery is held for the
/// length of a run (RabbitMQ's 30-minute consumer timeout never applies). A redelivery of a running attempt is ignored.
/// </summary>
public sealed class RunExperimentConsumer(AttemptRunner runner, ILogger<RunExperimentConsumer> log) : IConsumer<RunExperiment>
{
    public Task Consume(ConsumeContext<RunExperiment> context)
    {
        var m = context.Message;
        if (m.LeaseExpiresAt < DateTimeOffset.UtcNow.AddMinutes(-10))
        {
            log.LogWarning("Ignoring stale RunExperiment for {ExperimentId} attempt {Attempt}", m.ExperimentId, m.AttemptNumber);
            return Task.CompletedTask;
        }
        if (!runner.Start(m)) log.LogInformation("Attempt {Attempt} of {ExperimentId} is already running here", m.AttemptNumber, m.ExperimentId);
        return Task.CompletedTask;
    }
}
