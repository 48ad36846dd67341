using AdapterLab.Contracts.Messages;
using AdapterLab.Messaging;
using MassTransit;
using RabbitMQ.Client;

namespace AdapterLab.Orchestrator.Results;

/// <summary>
/// Progress reports used to arrive on the orchestrator's lifecycle queue; they have a queue of their own now. MassTransit
/// adds bindings but never removes one, so on a broker that ran an older orchestrator the <see cref="AttemptProgressed"/>
/// exchange would still feed the lifecycle queue, where nothing consumes it any more (every report would pile up in
/// its <c>_skipped</c> queue). This removes that one binding at start-up; on a broker that never had it, it does nothing.
/// </summary>
public sealed class LegacyProgressBinding(IBus bus, RabbitMqOptions rabbit, ILogger<LegacyProgressBinding> log) : BackgroundService
{
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
                log.LogDebug(ex, "Could not check for the old progress binding (try {Attempt} of 3)", attempt);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Removes the binding if it is there; returns false when either exchange does not exist (nothing to remove).</summary>
    public async Task<bool> RemoveAsync(CancellationToken ct)
    {
        var source = bus.Topology.Message<AttemptProgressed>().EntityName;
        var destination = QueueNames.Orchestrator(rabbit.QueuePrefix); // MassTransit's endpoint exchange has its queue's name
        var factory = new ConnectionFactory
        {
            HostName = rabbit.Host, Port = rabbit.Port, VirtualHost = rabbit.VirtualHost, UserName = rabbit.Username, Password = rabbit.Password,
            ClientProvidedName = "adapterlab-orchestrator-binding-cleanup",
        };
        await using var connection = await factory.CreateConnectionAsync(ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        try
        {
            // Passive declares fail when either exchange is absent (a fresh broker): then there is no binding either.
            await channel.ExchangeDeclarePassiveAsync(source, ct);
            await channel.ExchangeDeclarePassiveAsync(destination, ct);
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            return false;
        }
        await channel.ExchangeUnbindAsync(destination, source, "", cancellationToken: ct);
        log.LogInformation("Progress reports reach only {Queue}: no binding left from {Exchange} to {Old}", QueueNames.OrchestratorProgress(rabbit.QueuePrefix), source, destination);
        return true;
    }
}
