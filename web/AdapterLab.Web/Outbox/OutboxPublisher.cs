using AdapterLab.Data;
using AdapterLab.Data.Outbox;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace AdapterLab.Web.Outbox;

/// <summary>
/// The outbox's fast path: right after the commit that wrote them, the committing request publishes its rows itself (no
/// hand-over to the relay, no re-read) and marks them sent. A row it cannot publish is left unsent and the relay is rung;
/// the relay's periodic scan stays the reconciler for anything else (a crash between commit and publish). A row the scan
/// picks up in the moment between publish and mark goes out twice, which every handler tolerates.
/// </summary>
public sealed class OutboxPublisher(IDbContextFactory<PlatformDbContext> dbFactory, IBus bus, OutboxSignal signal, ILogger<OutboxPublisher> log)
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Publishes committed rows in order (stopping at the first failure) and marks the published ones sent.</summary>
    public async Task PublishCommittedAsync(IReadOnlyList<OutboxMessage> rows)
    {
        var sent = new List<long>(rows.Count);
        foreach (var row in rows)
        {
            try
            {
                var (message, type) = OutboxEntries.Materialise(row);
                // Not the request's token: the rows are committed, and a client that hangs up must not strand them.
                using var timeout = new CancellationTokenSource(PublishTimeout);
                await bus.Publish(message, type, timeout.Token);
                sent.Add(row.Id);
            }
            catch (Exception ex)
            {
                log.LogWarning(ex, "Could not publish outbox message {Id} ({Type}) after its commit; the relay will", row.Id, row.MessageType);
                break;
            }
        }
        if (sent.Count < rows.Count) signal.Ring();
        if (sent.Count == 0) return;
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            await db.Database.ExecuteSqlRawAsync(
                "UPDATE outbox SET sent_at = @now, attempts = attempts + 1 WHERE id = ANY(@ids) AND sent_at IS NULL",
                new NpgsqlParameter("now", DateTimeOffset.UtcNow),
                new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = sent.ToArray() });
        }
        catch (Exception ex)
        {
            // Published but not marked: the relay publishes them once more (a harmless duplicate).
            log.LogWarning(ex, "Could not mark {Count} published outbox messages sent", sent.Count);
        }
    }
}
