using AdapterLab.Contracts.Predictions;
using AdapterLab.Data.Blobs;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Data.Predictions;

/// <summary>
/// Experiments' stored per-example predictions: the newest <c>predictions</c> checkpoint of each, read from the blob store
/// through the caller's context. A blob that is missing, corrupted or does not parse counts as absent (the caller falls
/// back to per-seed results), never as data.
/// </summary>
public static class StoredPredictions
{
    /// <summary>The newest predictions blob per experiment.</summary>
    public static async Task<Dictionary<Guid, string>> LatestBlobsAsync(PlatformDbContext db, IReadOnlyCollection<Guid> experimentIds, CancellationToken ct) =>
        (await db.Checkpoints.AsNoTracking()
            .Where(c => experimentIds.Contains(c.ExperimentId) && c.Kind == PredictionsFile.CheckpointKind)
            .GroupBy(c => c.ExperimentId)
            .Select(g => g.OrderByDescending(c => c.AttemptNumber).ThenByDescending(c => c.Step).Select(c => new { c.ExperimentId, c.BlobHash }).First())
            .ToListAsync(ct))
        .ToDictionary(x => x.ExperimentId, x => x.BlobHash);

    /// <summary>Reads and parses one predictions blob; no file when it is unusable (the problem says why).</summary>
    public static async Task<(PredictionsFile? File, string? Problem)> ReadAsync(PlatformDbContext db, string hash, CancellationToken ct, bool withProbabilities = true)
    {
        var (bytes, problem) = await DownloadAsync(db, hash, ct);
        return bytes is null ? (null, problem) : Parse(bytes, withProbabilities);
    }

    /// <summary>A predictions blob's bytes (size and sha256 verified), or why there are none.</summary>
    public static async Task<(byte[]? Bytes, string? Problem)> DownloadAsync(PlatformDbContext db, string hash, CancellationToken ct)
    {
        try
        {
            using var buffer = new MemoryStream();
            await BlobStore.CopyToAsync(db, hash, buffer, ct);
            return (buffer.ToArray(), null);
        }
        catch (Exception ex) when (ex is BlobIntegrityException or FileNotFoundException)
        {
            return (null, ex.Message);
        }
    }

    /// <summary>Parses downloaded bytes (CPU only: safe to run in parallel); no file when they do not parse.</summary>
    public static (PredictionsFile? File, string? Problem) Parse(byte[] bytes, bool withProbabilities = true)
    {
        try
        {
            return (PredictionsFile.Read(new MemoryStream(bytes, writable: false), withProbabilities), null);
        }
        catch (Exception ex) when (ex is InvalidDataException or System.Text.Json.JsonException)
        {
            return (null, ex.Message);
        }
    }
}
