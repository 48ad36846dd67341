namespace AdapterLab.Data.Outbox;

/// <summary>A message written in the same transaction as the state it announces; relayed to the broker after commit.</summary>
public sealed class OutboxMessage
{
    public long Id { get; set; }
    /// <summary>Full CLR type name of the message (a record in AdapterLab.Contracts.Messages).</summary>
    public string MessageType { get; set; } = "";
    public string Payload { get; set; } = "{}";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public int Attempts { get; set; }
    /// <summary>W3C <c>traceparent</c> of the activity that wrote it; the relay publishes under it, so a late relay stays in its trace.</summary>
    public string? TraceParent { get; set; }
}
