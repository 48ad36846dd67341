using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using AdapterLab.Data;
using AdapterLab.Data.Blobs;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Dashboard;

/// <summary>One rendered example of a dense gallery: the input and, per task, the prediction and the truth (entry paths inside the zip).</summary>
public sealed record GalleryItem(string Domain, int Index, string Input, IReadOnlyDictionary<string, GalleryPair> Tasks);

/// <param name="Prediction">Entry path of the prediction PNG.</param>
/// <param name="Truth">Entry path of the ground-truth PNG.</param>
public sealed record GalleryPair(string Prediction, string Truth);

/// <summary>A gallery's view and its PNG entries by path.</summary>
public sealed record OpenedGallery(GalleryView View, IReadOnlyDictionary<string, byte[]> Images);

/// <summary>A dense experiment's newest prediction gallery: its checkpoint hash, step, tasks and items.</summary>
public sealed record GalleryView(string Hash, long Step, int ImageSize, IReadOnlyList<string> Tasks, IReadOnlyList<GalleryItem> Items);

/// <summary>
/// Opens the prediction galleries dense experiments store (a zip of <c>manifest.json</c> and PNGs, checkpoint kind
/// <c>gallery</c>, written by the agent's <c>Multitask/Gallery.cs</c>) so the page can show the images one by one. An
/// agent is not trusted: the zip is size-bounded, only entry names of the expected form are kept, each PNG must start
/// with the PNG signature, and a gallery that fails any check is treated as absent (and logged). Blobs are immutable,
/// so opened galleries are cached by hash (bounded).
/// </summary>
public sealed partial class GalleryStore(ILogger<GalleryStore> log)
{
    /// <summary>A gallery of 3 images × 4 domains × 4 tasks at 32–64 px is well under 1 MB.</summary>
    public const long MaxZipBytes = 16L * 1024 * 1024;
    private const int MaxEntries = 2048;
    private const long MaxEntryBytes = 2L * 1024 * 1024;
    private const int MaxCached = 64;
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private readonly ConcurrentDictionary<string, OpenedGallery> cache = new(StringComparer.Ordinal);

    [GeneratedRegex("^[a-z0-9-]{1,40}/[0-9]{1,6}/[a-z0-9-]{1,60}\\.png$")]
    private static partial Regex EntryName();

    /// <summary>The newest gallery of an experiment, or null when it has none (or none that opens).</summary>
    public async Task<GalleryView?> LatestAsync(PlatformDbContext db, Guid experimentId, CancellationToken ct)
    {
        var hashes = await db.Checkpoints.AsNoTracking()
            .Where(c => c.ExperimentId == experimentId && c.Kind == CheckpointsApi.GalleryKind)
            .OrderByDescending(c => c.Step).ThenByDescending(c => c.AttemptNumber)
            .Select(c => c.BlobHash).Take(3).ToListAsync(ct);
        foreach (var hash in hashes)
            if (await OpenAsync(db, hash, ct) is { } opened) return opened.View;
        return null;
    }

    /// <summary>One PNG of a gallery the experiment stored, or null (no such gallery for this experiment, or no such entry).</summary>
    public async Task<byte[]?> ImageAsync(PlatformDbContext db, Guid experimentId, string hash, string entry, CancellationToken ct)
    {
        if (!EntryName().IsMatch(entry)) return null;
        var owned = await db.Checkpoints.AsNoTracking()
            .AnyAsync(c => c.ExperimentId == experimentId && c.BlobHash == hash && c.Kind == CheckpointsApi.GalleryKind, ct);
        if (!owned) return null;
        var opened = await OpenAsync(db, hash, ct);
        return opened is not null && opened.Images.TryGetValue(entry, out var png) ? png : null;
    }

    private async Task<OpenedGallery?> OpenAsync(PlatformDbContext db, string hash, CancellationToken ct)
    {
        if (cache.TryGetValue(hash, out var hit)) return hit;
        var read = await BlobStore.ReadSmallAsync(db, [hash], MaxZipBytes, ct);
        if (!read.TryGetValue(hash, out var r) || r.Bytes is null)
        {
            log.LogWarning("Gallery blob {Hash} unusable: {Reason}", hash, read.TryGetValue(hash, out var p) ? p.Problem : "not stored");
            return null;
        }
        var (opened, problem) = Parse(hash, r.Bytes);
        if (opened is null)
        {
            log.LogWarning("Gallery blob {Hash} unusable: {Reason}", hash, problem);
            return null;
        }
        if (cache.Count >= MaxCached) cache.Clear();
        cache[hash] = opened;
        return opened;
    }

    /// <summary>Parses and checks a gallery zip; pure, for tests.</summary>
    public static (OpenedGallery? Gallery, string? Problem) Parse(string hash, byte[] zipBytes)
    {
        try
        {
            using var zip = new ZipArchive(new MemoryStream(zipBytes), ZipArchiveMode.Read);
            if (zip.Entries.Count > MaxEntries) return (null, $"{zip.Entries.Count} entries (at most {MaxEntries})");
            var images = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            byte[]? manifest = null;
            foreach (var e in zip.Entries)
            {
                if (e.Length > MaxEntryBytes) return (null, $"entry {e.FullName} is {e.Length} bytes (at most {MaxEntryBytes})");
                if (e.FullName == "manifest.json") { manifest = ReadAll(e); continue; }
                if (!EntryName().IsMatch(e.FullName)) continue;
                var bytes = ReadAll(e);
                if (bytes.Length < PngSignature.Length || !bytes.AsSpan(0, PngSignature.Length).SequenceEqual(PngSignature))
                    return (null, $"entry {e.FullName} is not a PNG");
                images[e.FullName] = bytes;
            }
            if (manifest is null) return (null, "no manifest.json");
            using var doc = JsonDocument.Parse(manifest, new JsonDocumentOptions { MaxDepth = 16 });
            var root = doc.RootElement;
            if (root.GetProperty("format").GetString() != "adapterlab-gallery-1") return (null, "unknown gallery format");
            var tasks = root.GetProperty("tasks").EnumerateArray().Select(t => t.GetString() ?? "").ToList();
            var items = new List<GalleryItem>();
            foreach (var item in root.GetProperty("items").EnumerateArray())
            {
                string input = item.GetProperty("input").GetString() ?? "";
                if (!images.ContainsKey(input)) return (null, $"item input {input} is not in the zip");
                var pairs = new Dictionary<string, GalleryPair>(StringComparer.Ordinal);
                foreach (var t in item.GetProperty("tasks").EnumerateObject())
                {
                    var pair = new GalleryPair(t.Value.GetProperty("prediction").GetString() ?? "", t.Value.GetProperty("truth").GetString() ?? "");
                    if (!images.ContainsKey(pair.Prediction) || !images.ContainsKey(pair.Truth)) return (null, $"task {t.Name} images are not in the zip");
                    pairs[t.Name] = pair;
                }
                items.Add(new GalleryItem(item.GetProperty("domain").GetString() ?? "", item.GetProperty("index").GetInt32(), input, pairs));
            }
            var view = new GalleryView(hash, root.GetProperty("step").GetInt64(), root.GetProperty("imageSize").GetInt32(), tasks, items);
            return (new OpenedGallery(view, images), null);
        }
        catch (Exception ex) when (ex is InvalidDataException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return (null, $"not a gallery zip: {ex.Message}");
        }
    }

    private static byte[] ReadAll(ZipArchiveEntry e)
    {
        using var s = e.Open();
        using var m = new MemoryStream((int)Math.Min(e.Length, MaxEntryBytes));
        var buffer = new byte[81920];
        long total = 0;
        int n;
        while ((n = s.Read(buffer)) > 0)
        {
            total += n;
            if (total > MaxEntryBytes) throw new InvalidDataException($"entry {e.FullName} inflates past {MaxEntryBytes} bytes");
            m.Write(buffer, 0, n);
        }
        return m.ToArray();
    }
}
