using AdapterLab.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AdapterLab.Orchestrator.Checkpoints;

/// <summary>
/// Reclaims blobs nothing refers to any more (no checkpoint, backbone, experiment output, attempt or registered model version) and no unfinished
/// experiment may still refer to (a pin: taken when an agent holding the experiment uploads the blob; an attempt row is
/// the pin of what its dispatch reads). References and pins are checked in the same statement that deletes, so a
/// referenced or pinned blob is never removed, however late its reference arrives through the broker; pins of finished
/// experiments are released first. The grace period (from the blob's last upload) only covers the moment between an
/// upload and its pin. Deleting a blob that is already gone is a no-op, so passes are idempotent and several
/// orchestrators may run them.
/// </summary>
public sealed class BlobGarbageCollector(IDbContextFactory<PlatformDbContext> dbFactory, IOptions<OrchestratorOptions> options, ILogger<BlobGarbageCollector> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMinutes(Math.Max(0.05, options.Value.BlobGcIntervalMinutes));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, stoppingToken);
                var (blobs, bytes) = await CollectAsync(TimeSpan.FromMinutes(options.Value.BlobGcGraceMinutes), stoppingToken);
                if (blobs > 0) log.LogInformation("Blob GC reclaimed {Blobs} blob(s), {Bytes} bytes", blobs, bytes);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                log.LogWarning(ex, "Blob GC pass failed; retrying later");
            }
        }
    }

    /// <summary>One pass: deletes unreferenced blobs older than <paramref name="grace"/>; returns how many and their bytes.</summary>
    public async Task<(int Blobs, long Bytes)> CollectAsync(TimeSpan grace, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var cutoff = DateTimeOffset.UtcNow - grace;
        await db.Database.ExecuteSqlAsync($"""
            DELETE FROM blob_pins p USING experiments e
            WHERE e.id = p.experiment_id AND e.status IN ('Succeeded', 'Failed', 'Cancelled', 'Stopped')
            """, ct);
        var deleted = await db.Database.SqlQuery<DeletedBlob>($"""
            WITH garbage AS (
                DELETE FROM blobs b
                WHERE b.created_at < {cutoff}
                  AND NOT EXISTS (SELECT 1 FROM checkpoints c WHERE c.blob_hash = b.hash)
                  AND NOT EXISTS (SELECT 1 FROM backbones k WHERE k.blob_hash = b.hash)
                  AND NOT EXISTS (SELECT 1 FROM experiments e WHERE e.output_blob = b.hash OR e.backbone_blob = b.hash)
                  AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.resume_blob = b.hash OR a.backbone_blob = b.hash OR a.model_blob = b.hash)
                  AND NOT EXISTS (SELECT 1 FROM blob_pins p WHERE p.hash = b.hash)
                  AND NOT EXISTS (SELECT 1 FROM model_versions m WHERE m.adapter_blob = b.hash OR m.backbone_blob = b.hash)
                RETURNING b.hash, b.size_bytes
            ), chunks AS (
                DELETE FROM blob_chunks ch USING garbage g WHERE ch.hash = g.hash
            )
            SELECT hash, size_bytes FROM garbage
            """).ToListAsync(ct);
        return (deleted.Count, deleted.Sum(d => d.SizeBytes));
    }

    /// <summary>A deleted blob; its columns map by the context's snake_case convention (<c>hash</c>, <c>size_bytes</c>).</summary>
    private sealed record DeletedBlob(string Hash, long SizeBytes);
}
