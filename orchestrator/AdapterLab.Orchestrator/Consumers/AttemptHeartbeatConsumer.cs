using AdapterLab.Contracts.Messages;
using AdapterLab.Orchestrator.Fleet;
using MassTransit;

namespace AdapterLab.Orchestrator.Consumers;

/// <summary>
/// Extends the lease of a live attempt and records the agent as seen, grouped with the other heartbeats and announcements
/// of the moment into one write (<see cref="FleetReportWriter"/>). Fenced: a lost attempt's heartbeat changes nothing.
/// </summary>
public sealed class AttemptHeartbeatConsumer(FleetReportWriter writer) : IConsumer<AttemptHeartbeat>
{
    public Task Consume(ConsumeContext<AttemptHeartbeat> context) => writer.HeartbeatAsync(context.Message, context.CancellationToken);
}
