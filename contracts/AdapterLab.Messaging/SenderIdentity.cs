using MassTransit;

namespace AdapterLab.Messaging;

/// <summary>
/// Who sent a message, as the broker vouches for it. Every platform process stamps its broker user name into the AMQP
/// <c>user_id</c> property of what it sends and publishes (<see cref="BusRegistration"/>); RabbitMQ refuses a message whose
/// <c>user_id</c> differs from the connection's authenticated user, so on the receiving side <see cref="Of"/> is the
/// sender's real identity — not a field of the message body, which anyone can write. An agent's broker user is
/// <c>agent:&lt;agent id&gt;</c> (<see cref="AgentUser"/>); services use their own users.
/// </summary>
public static class SenderIdentity
{
    public const string AgentPrefix = "agent:";

    /// <summary>The broker user of agent <paramref name="agentId"/>.</summary>
    public static string AgentUser(string agentId) => AgentPrefix + agentId;

    /// <summary>The agent id of a broker user, or null when it is not an agent's.</summary>
    public static string? AgentIdOf(string? user) =>
        user is not null && user.StartsWith(AgentPrefix, StringComparison.Ordinal) && user.Length > AgentPrefix.Length ? user[AgentPrefix.Length..] : null;

    /// <summary>The broker-validated <c>user_id</c> of the message being consumed, or null when it carries none.</summary>
    public static string? Of(ConsumeContext context) =>
        context.ReceiveContext.TryGetPayload<RabbitMqBasicConsumeContext>(out var rabbit) ? rabbit.Properties.UserId : null;

    /// <summary>Sets the outgoing message's <c>user_id</c> to this process's broker user (RabbitMQ checks it on arrival).</summary>
    internal static void Stamp(SendContext context, string user)
    {
        if (context.TryGetPayload<RabbitMqSendContext>(out var rabbit)) rabbit.BasicProperties.UserId = user;
    }
}
