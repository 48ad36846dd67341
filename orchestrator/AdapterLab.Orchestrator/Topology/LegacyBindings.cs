using AdapterLab.Contracts.Messages;
using AdapterLab.Messaging;
using MassTransit;
using RabbitMQ.Client;

namespace AdapterLab.Orchestrator.Topology;

/// <summary>
/// Message types that used to arrive on the orchestrator's lifecycle queue and have a queue of their own now: progress
/// reports (the progress queue) and the fleet's announcements, stops and heartbeats (the fleet queue). MassTransit adds
/// bindings but never removes one, so on a broker that ran an older orchestrator their exchanges would still feed the
/// lifecycle queue, where nothing consumes them any more (every one would pile up in its <c>_skipped</c> queue). This
/// removes those bindings at start-up; on a broker that never had them, it does nothing.
/// </summary>
public sealed class LegacyBindings(IBus bus, RabbitMqOptions rabbit, ILogger<LegacyBindings> log) : BackgroundService
{
    /// <summary>The message types moved off the lifecycle queue, with the queue that consumes each now.</summary>
    public static IReadOnlyList<(string Message, Func<IBusTopology, string> Exchange, Func<string, string> NewQueue)> Moved { get; } =
    [
        (nameof(AttemptProgressed), t => t.Message<AttemptProgressed>().EntityName, QueueNames.OrchestratorProgress),
        (nameof(AgentAnnounced), t => t.Message<AgentAnnounced>().EntityName, QueueNames.OrchestratorFleet),
        (nameof(AgentStopping), t => t.Message<AgentStopping>().EntityName, QueueNames.OrchestratorFleet),
        (nameof(AttemptHeartbeat), t => t.Message<AttemptHeartbeat>().EntityName, QueueNames.OrchestratorFleet),
    ];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (int attempt = 1; attempt <= 3 && !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await RemoveAsync(stoppingToken);
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogDebug(ex, "Could not check for old bindings to the lifecycle queue (try {Attempt} of 3)", attempt);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Removes every such binding that may be there; returns how many of the moved types had both exchanges (the rest had nothing to remove).</summary>
    public async Task<int> RemoveAsync(CancellationToken ct)
    {
        var destination = QueueNames.Orchestrator(rabbit.QueuePrefix); // MassTransit's endpoint exchange has its queue's name
        await using var connection = await rabbit.ConnectionFactory("adapterlab-orchestrator-binding-cleanup").CreateConnectionAsync(ct);
        int removed = 0;
        foreach (var (message, exchange, newQueue) in Moved)
        {
            var source = exchange(bus.Topology);
            // A channel per check: a failed passive declare closes its channel.
            await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
            try
            {
                // Passive declares fail when either exchange is absent (a fresh broker): then there is no binding either.
                await channel.ExchangeDeclarePassiveAsync(source, ct);
                await channel.ExchangeDeclarePassiveAsync(destination, ct);
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
            {
                continue;
            }
            await channel.ExchangeUnbindAsync(destination, source, "", cancellationToken: ct);
            log.LogInformation("{Message} reaches only {Queue}: no binding left from {Exchange} to {Old}", message, newQueue(rabbit.QueuePrefix), source, destination);
            removed++;
        }
        return removed;
    }
}
