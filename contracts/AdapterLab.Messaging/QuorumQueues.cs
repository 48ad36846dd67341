using MassTransit;

namespace AdapterLab.Messaging;

/// <summary>
/// The type of the platform's durable queues (<see cref="RabbitMqOptions.QuorumQueues"/>): every durable receive endpoint
/// (the orchestrator's work and progress queues, an agent's own queue) is declared through <see cref="DurableQueue"/>,
/// which makes it a quorum queue on clusters — replicated, surviving the loss of a broker node (RabbitMQ 4 removed
/// classic mirroring). Transient queues (a web instance's news queue) stay classic and exclusive: a quorum queue cannot
/// be auto-deleted.
/// </summary>
public static class QuorumQueues
{
    public static void DurableQueue(this IRabbitMqReceiveEndpointConfigurator endpoint, RabbitMqOptions options)
    {
        endpoint.Durable = true;
        endpoint.AutoDelete = false;
        endpoint.Exclusive = false;
        if (options.QuorumQueues) endpoint.SetQuorumQueue();
    }
}
