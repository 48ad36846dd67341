namespace AdapterLab.Messaging;

/// <summary>Broker connection (section <c>RabbitMq</c>); each service has its own user.</summary>
public sealed class RabbitMqOptions
{
    public const string Section = "RabbitMq";
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 5672;
    public string VirtualHost { get; set; } = "/";
    public string Username { get; set; } = "guest";
    public string Password { get; set; } = "guest";
    /// <summary>Prefix for every queue and exchange name, so test runs can share a vhost without sharing messages.</summary>
    public string QueuePrefix { get; set; } = "";
    /// <summary>
    /// Declare every durable queue (work, progress, agents', error and skipped queues) as a quorum queue: replicated and
    /// safe across broker nodes, for clusters. Off by default (one local broker); a queue's type is fixed when it is
    /// declared, so switch it on a fresh vhost (docs/deploy.md).
    /// </summary>
    public bool QuorumQueues { get; set; }

    /// <summary>A plain RabbitMQ.Client connection factory for this broker and user, for what goes around the bus (its topology clean-up, the fleet queue's consumer).</summary>
    public RabbitMQ.Client.ConnectionFactory ConnectionFactory(string clientName) => new()
    {
        HostName = Host, Port = Port, VirtualHost = VirtualHost, UserName = Username, Password = Password, ClientProvidedName = clientName,
    };
}
