using System.Text.Json;
using AdapterLab.Contracts.Messages;
using MassTransit;
using MassTransit.Serialization;

namespace AdapterLab.Orchestrator.Fleet;

/// <summary>
/// Reads a message off the fleet queue as MassTransit wrote it (its JSON envelope, <c>application/vnd.masstransit+json</c>,
/// with MassTransit's own serializer options), without MassTransit's receive pipeline (<see cref="FleetIngest"/>). Only the
/// fleet's three kinds are read; anything else — another content type, a message type the fleet queue does not carry,
/// JSON that does not parse or lacks its message, an oversized body — is unreadable, with the reason.
/// </summary>
public static class FleetEnvelope
{
    /// <summary>The largest body read (an announcement lists a few attempts: a few KiB).</summary>
    public const int MaxBytes = 256 * 1024;

    private static readonly Dictionary<string, Type> Kinds = new(StringComparer.Ordinal)
    {
        [MessageUrn.ForTypeString<AgentAnnounced>()] = typeof(AgentAnnounced),
        [MessageUrn.ForTypeString<AttemptHeartbeat>()] = typeof(AttemptHeartbeat),
        [MessageUrn.ForTypeString<AgentStopping>()] = typeof(AgentStopping),
    };

    /// <summary>A message read (<see cref="Message"/> set) or not (<see cref="Error"/> set).</summary>
    public sealed record Read(object? Message, string? MessageId, string? Error);

    private sealed record Envelope(string? MessageId, string[]? MessageType, JsonElement Message);

    public static Read Parse(ReadOnlySpan<byte> body, string? contentType)
    {
        if (contentType != SystemTextJsonMessageSerializer.JsonContentType.MediaType)
            return new Read(null, null, $"content type '{contentType}' is not {SystemTextJsonMessageSerializer.JsonContentType.MediaType}");
        if (body.Length > MaxBytes) return new Read(null, null, $"{body.Length:N0} bytes (at most {MaxBytes:N0})");
        try
        {
            var envelope = JsonSerializer.Deserialize<Envelope>(body, SystemTextJsonMessageSerializer.Options);
            if (envelope is null) return new Read(null, null, "an empty envelope");
            var kind = envelope.MessageType?.Select(t => Kinds.GetValueOrDefault(t)).FirstOrDefault(t => t is not null);
            if (kind is null) return new Read(null, envelope.MessageId, $"message type [{string.Join(", ", envelope.MessageType ?? [])}] is not carried by the fleet queue");
            if (envelope.Message.ValueKind != JsonValueKind.Object) return new Read(null, envelope.MessageId, "the envelope has no message object");
            var message = envelope.Message.Deserialize(kind, SystemTextJsonMessageSerializer.Options);
            if (message is null) return new Read(null, envelope.MessageId, "an empty message");
            if (message is AgentAnnounced { Running: null } or AgentAnnounced { AgentId: null } or AttemptHeartbeat { AgentId: null } or AgentStopping { AgentId: null })
                return new Read(null, envelope.MessageId, "a required field is null");
            return new Read(message, envelope.MessageId, null);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            return new Read(null, null, $"unreadable JSON: {ex.Message}");
        }
    }
}
