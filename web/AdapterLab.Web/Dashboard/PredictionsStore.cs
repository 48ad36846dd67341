using System.Collections.Concurrent;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Data;
using AdapterLab.Data.Blobs;
using AdapterLab.Data.Predictions;

namespace AdapterLab.Web.Dashboard;

/// <summary>
/// Reads experiments' stored per-example predictions (the newest <c>predictions</c> checkpoint of each) for statistics:
/// labels, predictions and per-image metrics, without class probabilities (<c>GET …/predictions</c> reads the full file).
/// Blobs are content-addressed and immutable, so parsed files are cached by hash (bounded). A cold comparison downloads
/// the missing blobs in two queries through the request's connection, then parses them in parallel. A blob that fails its integrity
/// check or does not parse is treated as absent and logged, never as data.
/// </summary>
public sealed class PredictionsStore(ILogger<PredictionsStore> log)
{
    private const int MaxCached = 1024;
    /// <summary>Compressed predictions of a large test set stay far below this (2,000 examples with probabilities: ~13 KB).</summary>
    private const long MaxBlobBytes = 64L * 1024 * 1024;
    private readonly ConcurrentDictionary<string, PredictionsFile> cache = new(StringComparer.Ordinal);

    public async Task<IReadOnlyDictionary<Guid, PredictionsFile>> LoadAsync(PlatformDbContext db, IReadOnlyCollection<Guid> experimentIds, CancellationToken ct)
    {
        var blobs = await StoredPredictions.LatestBlobsAsync(db, experimentIds, ct);
        var downloaded = new List<(string Hash, byte[] Bytes)>();
        var missing = blobs.Values.Distinct(StringComparer.Ordinal).Where(h => !cache.ContainsKey(h)).ToList();
        foreach (var (hash, (bytes, problem)) in await BlobStore.ReadSmallAsync(db, missing, MaxBlobBytes, ct))
        {
            if (bytes is null) log.LogWarning("Predictions blob {Hash} unusable: {Reason}", hash, problem);
            else downloaded.Add((hash, bytes));
        }
        var parsed = await Task.WhenAll(downloaded.Select(d => Task.Run(() => (d.Hash, Result: StoredPredictions.Parse(d.Bytes, withProbabilities: false)), ct)));
        var fresh = new Dictionary<string, PredictionsFile>(StringComparer.Ordinal);
        foreach (var (hash, (file, problem)) in parsed)
        {
            if (file is null) { log.LogWarning("Predictions blob {Hash} unusable: {Reason}", hash, problem); continue; }
            fresh[hash] = file;
            if (cache.Count >= MaxCached) cache.Clear();
            cache[hash] = file;
        }
        var result = new Dictionary<Guid, PredictionsFile>();
        foreach (var (experiment, hash) in blobs)
            if (fresh.TryGetValue(hash, out var file) || cache.TryGetValue(hash, out file)) result[experiment] = file;
        return result;
    }

    public async Task<PredictionsFile?> LoadAsync(PlatformDbContext db, Guid experimentId, CancellationToken ct) =>
        (await LoadAsync(db, [experimentId], ct)).GetValueOrDefault(experimentId);
}
