using System.Text.Json;
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
    };
}
