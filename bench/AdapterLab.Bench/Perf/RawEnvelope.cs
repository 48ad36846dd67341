using System.Text.Json;

namespace AdapterLab.Bench.Perf;

/// <summary>
/// MassTransit's JSON envelope (<c>application/vnd.masstransit+json</c>) written and read by hand, so that a thousand
/// simulated agents can talk to the orchestrator over plain AMQP connections (one per agent, no bus each) in exactly the
/// wire format a real agent's MassTransit bus uses: the message under <c>message</c>, its type as a
/// <c>urn:message:Namespace:Name</c>, published to the exchange named after the type.
/// </summary>
public static class RawEnvelope
{
    public const string ContentType = "application/vnd.masstransit+json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The exchange MassTransit publishes <typeparamref name="T"/> to (its entity name, after the queue prefix).</summary>
    public static string Exchange<T>(string queuePrefix) => $"{queuePrefix}{typeof(T).Namespace}:{typeof(T).Name}";

    public static byte[] Serialize<T>(T message, Guid messageId, string sourceAddress) where T : class =>
        JsonSerializer.SerializeToUtf8Bytes(new
        {
            messageId = messageId.ToString(),
            conversationId = messageId.ToString(),
            sourceAddress,
            destinationAddress = sourceAddress,
            messageType = new[] { $"urn:message:{typeof(T).Namespace}:{typeof(T).Name}" },
            message,
            sentTime = DateTime.UtcNow,
            headers = new Dictionary<string, object>(),
            host = new { machineName = Environment.MachineName, processName = "AdapterLab.Bench", processId = Environment.ProcessId, assembly = "AdapterLab.Bench" },
        }, Json);

    /// <summary>The message inside an envelope, or null when the body is not one of <typeparamref name="T"/>.</summary>
    public static T? Read<T>(ReadOnlyMemory<byte> body) where T : class
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (!root.TryGetProperty("messageType", out var types) || !types.EnumerateArray().Any(t => t.GetString() == $"urn:message:{typeof(T).Namespace}:{typeof(T).Name}"))
                return null;
            return root.GetProperty("message").Deserialize<T>(Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
