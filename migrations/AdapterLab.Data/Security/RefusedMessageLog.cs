using AdapterLab.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Data.Security;

/// <summary>Writes the agent boundary's audit (<see cref="RefusedMessage"/>): once per message id, whatever the redeliveries.</summary>
public static class RefusedMessageLog
{
    public static Task RecordAsync(PlatformDbContext db, RefusedMessage m, CancellationToken ct) =>
        db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO refused_messages (message_id, at, message_type, sender, claimed_agent_id, experiment_id, attempt_number, reason)
            VALUES ({Cut(m.MessageId, 100)}, {m.At}, {Cut(m.MessageType, 100)}, {Cut(m.Sender, 200)}, {CutOrNull(m.ClaimedAgentId, 200)},
                    {m.ExperimentId}, {m.AttemptNumber}, {Cut(m.Reason, 1000)})
            ON CONFLICT (message_id) DO NOTHING
            """, ct);

    private static string Cut(string s, int n) => s.Length <= n ? s : s[..n];
    private static string? CutOrNull(string? s, int n) => s is null ? null : Cut(s, n);
}
