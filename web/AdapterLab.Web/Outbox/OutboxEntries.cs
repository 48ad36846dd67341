using System.Text.Json;
using AdapterLab.Contracts.Messages;
using AdapterLab.Data.Outbox;

namespace AdapterLab.Web.Outbox;

/// <summary>Creates outbox rows from contract messages; <see cref="OutboxRelay"/> turns them back into the same types.</summary>
public static class OutboxEntries
{
    /// <summary>Payload serialisation shared by writer and relay.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static OutboxMessage For<T>(T message, DateTimeOffset now) where T : class => new()
    {
        MessageType = typeof(T).FullName!,
        Payload = JsonSerializer.Serialize(message, Json),
        CreatedAt = now,
        TraceParent = System.Diagnostics.Activity.Current?.Id,
    };

    /// <summary>The message a row holds, as the type it was written as.</summary>
    public static (object Message, Type Type) Materialise(OutboxMessage row)
    {
        var type = typeof(ExperimentSubmitted).Assembly.GetType(row.MessageType, throwOnError: false)
                   ?? throw new InvalidOperationException($"unknown outbox message type '{row.MessageType}'");
        var message = JsonSerializer.Deserialize(row.Payload, type, Json)
                      ?? throw new InvalidOperationException($"empty payload in outbox message {row.Id}");
        return (message, type);
    }
}
