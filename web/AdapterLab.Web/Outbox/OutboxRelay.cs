using AdapterLab.Data;
using AdapterLab.Data.Outbox;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Outbox;

/// <summary>
/// Publishes unsent outbox rows in id order and marks them sent: the rows <see cref="OutboxPublisher"/> could not publish
/// right after their commit (it rings <see cref="OutboxSignal"/>), and every <see cref="ScanInterval"/> whatever is left
/// (the reconciler: rows written while the broker was down, or by an instance that died before publishing). A row may
/// be published twice (handlers are idempotent) but never lost: it is marked sent only after the broker confirmed it.
/// </summary>
public sealed class OutboxRelay(
    IDbContextFactory<PlatformDbContext> dbFactory, IBus bus, OutboxSignal signal, ILogger<OutboxRelay> log) : BackgroundService
{
    public static readonly TimeSpan ScanInterval = TimeSpan.FromSeconds(5);
    private const int BatchSize = 100;
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await RelayBatchAsync(stoppingToken) == BatchSize) { }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                log.LogWarning(ex, "Outbox relay pass failed; the next scan retries");
            }
            try { await signal.WaitAsync(ScanInterval, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Relays one batch; returns how many rows it published.</summary>
    private async Task<int> RelayBatchAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // SKIP LOCKED: two web instances relay disjoint rows instead of queueing behind each other.
        var rows = await db.Outbox
            .FromSql($"SELECT * FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT {BatchSize} FOR UPDATE SKIP LOCKED")
            .ToListAsync(ct);
        int published = 0;
        foreach (var row in rows)
        {
            row.Attempts++;
            try
            {
                var (message, type) = OutboxEntries.Materialise(row);
                using var span = AdapterLab.ServiceDefaults.Telemetry.PlatformTelemetry.StartUnder("outbox relay", row.TraceParent);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(PublishTimeout);
                await bus.Publish(message, type, timeout.Token);
                row.SentAt = DateTimeOffset.UtcNow;
                published++;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // Keep the order: stop at the first failure and leave the rest for the next pass.
                log.LogWarning(ex, "Could not publish outbox message {Id} ({Type}); will retry", row.Id, row.MessageType);
                break;
            }
        }
        await db.SaveChangesAsync(CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
        if (published > 0) log.LogDebug("Relayed {Count} outbox messages", published);
        return published;
    }
}
