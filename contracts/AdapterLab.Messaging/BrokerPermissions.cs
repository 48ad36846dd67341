using System.Text.RegularExpressions;
using AdapterLab.Contracts.Messages;

namespace AdapterLab.Messaging;

/// <summary>
/// The least broker privilege of one agent, as RabbitMQ permission regexes (configure, write, read) on the platform's
/// vhost: its own queue and exchange (<see cref="QueueNames.Agent"/>, with MassTransit's <c>_error</c> and
/// <c>_skipped</c>), its bus instance's temporary endpoint, and — to declare and publish to — only the exchanges of the
/// reports an agent sends. It cannot read another agent's queue, send work or cancellations to one, or publish users'
/// intent. Used by the test harness and the broker's HTTP authorisation; <c>infra/local/rabbitmq.sh</c> writes the same.
/// </summary>
public static class BrokerPermissions
{
    /// <summary>Every message type an agent publishes.</summary>
    public static readonly IReadOnlyList<Type> AgentReports =
    [
        typeof(AttemptStarted), typeof(AttemptPrepared), typeof(AttemptProgressed), typeof(AttemptHeartbeat), typeof(CheckpointSaved),
        typeof(AffinityMeasured), typeof(AttemptLogged), typeof(AttemptSucceeded), typeof(AttemptFailed), typeof(AttemptCancelled), typeof(AttemptPaused), typeof(AgentAnnounced), typeof(AgentStopping),
    ];

    /// <summary>MassTransit's temporary endpoint of a bus instance: <c>&lt;host&gt;_&lt;process&gt;_bus_&lt;id&gt;</c>.</summary>
    public const string BusEndpointPattern = "^.+_bus_[a-z0-9]+$";

    public static (string Configure, string Write, string Read) Agent(string queuePrefix, string agentId)
    {
        string own = $"^{Regex.Escape(QueueNames.Agent(queuePrefix, agentId))}(_error|_skipped)?$";
        string reports = $"^{Regex.Escape(queuePrefix)}{Regex.Escape("AdapterLab.Contracts.Messages")}:({string.Join("|", AgentReports.Select(t => t.Name))})$";
        string configure = $"{own}|{BusEndpointPattern}|{reports}";
        return (configure, configure, $"{own}|{BusEndpointPattern}");
    }
}
