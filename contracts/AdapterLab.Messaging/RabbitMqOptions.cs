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
}
