using System.Collections.Concurrent;

namespace AdapterLab.Training.Datasets.ShapesWorld;

/// <summary>Deterministic dense ShapesWorld splits (same scenes, indices and world seed as classification), cached in memory.</summary>
public static class DenseShapesWorld
{
    private const int MaxCachedSplits = 48;
    private static readonly ConcurrentDictionary<string, Lazy<DenseSplit>> Cache = new();

    public static DenseSplit Split(int seed, string domain, DataSplit split, int count, int imageSize)
    {
        var appearance = AppearanceDomain.Get(domain);
        if (Cache.Count > MaxCachedSplits) Cache.Clear();
        var lazy = Cache.GetOrAdd($"{seed}|{domain}|{split}|{count}|{imageSize}",
            _ => new Lazy<DenseSplit>(() => Generate(seed, appearance, split, count, imageSize)));
        return lazy.Value;
    }

    /// <summary>One scene's image (normalised) and targets; what <see cref="Split"/> stores per row.</summary>
    public static void Render(int seed, long index, AppearanceDomain domain, int size,
        Span<float> pixels, Span<int> seg, Span<float> depth, Span<float> normals, Span<float> edges)
    {
        var scene = SceneGenerator.Generate(seed, index);
        var g = SceneRenderer.Geometry(scene, size);
        var rgb = SceneRenderer.Image(scene, g, domain, SplitMix64.For((ulong)seed, (ulong)index).NextUInt64());
        for (int i = 0; i < rgb.Length; i++) pixels[i] = (rgb[i] - 0.5f) / 0.5f;
        DenseTargets.Segmentation(scene, g).CopyTo(seg);
        g.Depth.CopyTo(depth);
        g.Normals.CopyTo(normals);
        DenseTargets.Edges(g).CopyTo(edges);
    }

    private static DenseSplit Generate(int seed, AppearanceDomain domain, DataSplit split, int count, int size)
    {
        int hw = size * size;
        var pixels = new float[(long)count * 3 * hw];
        var seg = new int[(long)count * hw];
        var depth = new float[(long)count * hw];
        var normals = new float[(long)count * 3 * hw];
        var edges = new float[(long)count * hw];
        Parallel.For(0, count, row => Render(seed, split.FirstIndex() + row, domain, size,
            pixels.AsSpan(row * 3 * hw, 3 * hw), seg.AsSpan(row * hw, hw), depth.AsSpan(row * hw, hw),
            normals.AsSpan(row * 3 * hw, 3 * hw), edges.AsSpan(row * hw, hw)));
        return new DenseSplit(domain.Name, size, pixels, seg, depth, normals, edges, split.ShapesWorldExampleIds(seed, count));
    }
}
