using System.Collections.Concurrent;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Data;
using AdapterLab.Data.Predictions;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Dashboard;

/// <summary>
/// Reads experiments' stored per-example predictions (the newest <c>predictions</c> checkpoint of each). Blobs are
/// content-addressed and immutable, so parsed files are cached by hash (bounded); a blob that fails its integrity check
/// or does not parse is treated as absent and logged, never as data.
/// </summary>
public sealed class PredictionsStore(ILogger<PredictionsStore> log)
{
    private const int MaxCached = 256;
    private readonly ConcurrentDictionary<string, PredictionsFile> cache = new(StringComparer.Ordinal);

    public async Task<IReadOnlyDictionary<Guid, PredictionsFile>> LoadAsync(PlatformDbContext db, IReadOnlyCollection<Guid> experimentIds, CancellationToken ct)
    {
        var result = new Dictionary<Guid, PredictionsFile>();
        foreach (var (experiment, hash) in await StoredPredictions.LatestBlobsAsync(db, experimentIds, ct))
            if (await ReadAsync(db, hash, ct) is { } file) result[experiment] = file;
        return result;
    }

    public async Task<PredictionsFile?> LoadAsync(PlatformDbContext db, Guid experimentId, CancellationToken ct) =>
        (await LoadAsync(db, [experimentId], ct)).GetValueOrDefault(experimentId);

    private async Task<PredictionsFile?> ReadAsync(PlatformDbContext db, string hash, CancellationToken ct)
    {
        if (cache.TryGetValue(hash, out var cached)) return cached;
        var (file, problem) = await StoredPredictions.ReadAsync(db, hash, ct);
        if (file is null)
        {
            log.LogWarning("Predictions blob {Hash} unusable: {Reason}", hash, problem);
            return null;
        }
        if (cache.Count >= MaxCached) cache.Clear();
        cache[hash] = file;
        return file;
    }
}
