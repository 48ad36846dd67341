using System.Collections.Concurrent;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Data;
using AdapterLab.Data.Blobs;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Dashboard;

/// <summary>
/// Reads experiments' stored per-example predictions (the newest <c>predictions</c> checkpoint of each). Blobs are
/// content-addressed and immutable, so parsed files are cached by hash (bounded); a blob that fails its integrity check
/// or does not parse is treated as absent and logged, never as data.
/// </summary>
public sealed class PredictionsStore(BlobStore blobs, ILogger<PredictionsStore> log)
{
    private const int MaxCached = 256;
    private readonly ConcurrentDictionary<string, PredictionsFile> cache = new(StringComparer.Ordinal);

    public async Task<IReadOnlyDictionary<Guid, PredictionsFile>> LoadAsync(PlatformDbContext db, IReadOnlyCollection<Guid> experimentIds, CancellationToken ct)
    {
        var latest = await db.Checkpoints.AsNoTracking()
            .Where(c => experimentIds.Contains(c.ExperimentId) && c.Kind == PredictionsFile.CheckpointKind)
            .GroupBy(c => c.ExperimentId)
            .Select(g => g.OrderByDescending(c => c.AttemptNumber).ThenByDescending(c => c.Step).Select(c => new { c.ExperimentId, c.BlobHash }).First())
            .ToListAsync(ct);
        var result = new Dictionary<Guid, PredictionsFile>();
        foreach (var row in latest)
            if (await ReadAsync(row.BlobHash, ct) is { } file) result[row.ExperimentId] = file;
        return result;
    }

    public async Task<PredictionsFile?> LoadAsync(PlatformDbContext db, Guid experimentId, CancellationToken ct) =>
        (await LoadAsync(db, [experimentId], ct)).GetValueOrDefault(experimentId);

    private async Task<PredictionsFile?> ReadAsync(string hash, CancellationToken ct)
    {
        if (cache.TryGetValue(hash, out var cached)) return cached;
        try
        {
            using var buffer = new MemoryStream();
            await blobs.CopyToAsync(hash, buffer, ct);
            buffer.Position = 0;
            var file = PredictionsFile.Read(buffer);
            if (cache.Count >= MaxCached) cache.Clear();
            cache[hash] = file;
            return file;
        }
        catch (Exception ex) when (ex is BlobIntegrityException or FileNotFoundException or InvalidDataException or System.Text.Json.JsonException)
        {
            log.LogWarning("Predictions blob {Hash} unusable: {Reason}", hash, ex.Message);
            return null;
        }
    }
}
