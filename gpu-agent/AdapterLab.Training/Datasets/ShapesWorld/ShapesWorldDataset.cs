using System.Collections.Concurrent;
using AdapterLab.Contracts.Catalogue;

namespace AdapterLab.Training.Datasets.ShapesWorld;

/// <summary>
/// Deterministic ShapesWorld splits from (seed, split, index). Generated splits are cached in memory (keyed by every
/// input that changes pixels or labels) so repeated evaluations and runs in one process do not re-render.
/// </summary>
public static class ShapesWorldDataset
{
    /// <summary>
    /// The world every experiment samples from. Fixed, not the training seed: runs with different seeds must be
    /// compared on the same validation and test images.
    /// </summary>
    public const int WorldSeed = 20251123;

    /// <summary>Beyond this many cached pixels (float32) the cache is emptied rather than growing without bound.</summary>
    private const long MaxCachedFloats = 256L * 1024 * 1024;

    private static readonly ConcurrentDictionary<string, Lazy<ClassificationSplit>> Cache = new();
    private static long _cachedFloats;

    public static Scene Scene(int seed, DataSplit split, int row) => SceneGenerator.Generate(seed, split.FirstIndex() + row);

    public static ClassificationSplit Classification(int seed, string domain, string labelFamily, DataSplit split, int count, int imageSize)
    {
        var appearance = AppearanceDomain.Get(domain);
        ShapesWorldCatalogue.Heads(labelFamily); // throws on an unknown family
        string key = $"{seed}|{domain}|{labelFamily}|{split}|{count}|{imageSize}";
        var lazy = Cache.GetOrAdd(key, _ => new Lazy<ClassificationSplit>(() => Generate(seed, appearance, labelFamily, split, count, imageSize)));
        return lazy.Value;
    }

    private static ClassificationSplit Generate(int seed, AppearanceDomain domain, string labelFamily, DataSplit split, int count, int imageSize)
    {
        int e = 3 * imageSize * imageSize;
        if (Interlocked.Add(ref _cachedFloats, (long)count * e) > MaxCachedFloats)
        {
            // Crude but bounded: large image sizes (standard presets) would otherwise pile up gigabytes.
            Cache.Clear();
            Interlocked.Exchange(ref _cachedFloats, (long)count * e);
        }
        var pixels = new float[(long)count * e];
        var labels = new int[count];
        // Each image depends only on its own index, so parallel rendering stays deterministic.
        Parallel.For(0, count, row =>
        {
            long index = split.FirstIndex() + row;
            var scene = SceneGenerator.Generate(seed, index);
            var geometry = SceneRenderer.Geometry(scene, imageSize);
            var rgb = SceneRenderer.Image(scene, geometry, domain, SplitMix64.For((ulong)seed, (ulong)index).NextUInt64());
            var dst = pixels.AsSpan(row * e, e);
            for (int i = 0; i < e; i++) dst[i] = (rgb[i] - 0.5f) / 0.5f;
            labels[row] = scene.Label(labelFamily);
        });
        return new ClassificationSplit(domain.Name, split, labelFamily, imageSize, pixels, labels, split.ShapesWorldExampleIds(seed, count));
    }
}
