using AdapterLab.Contracts.Catalogue;

namespace AdapterLab.Training.Datasets.ShapesWorld;

/// <summary>
/// The pretraining stream (<c>data.stream: true</c>): fresh scenes every step instead of a fixed training set. Step s
/// draws scenes s·B … s·B + B − 1 of a world of its own (seeded by the training seed, never the evaluation world), each
/// rendered in an appearance sampled around the ShapesWorld domains that are not held out
/// (<see cref="AppearanceDomain.Around"/>), so a batch is a pure function of (seed, step): reproducible, and a resumed
/// run continues exactly. Validation and test stay the fixed splits of the evaluation world.
/// </summary>
public sealed class ShapesWorldStream
{
    private readonly IReadOnlyList<AppearanceDomain> around;

    /// <param name="labelFamily">The family whose labels the batches carry (null for masked autoencoding: label 0).</param>
    public ShapesWorldStream(int seed, string? labelFamily, int imageSize, IReadOnlyList<string> heldOutDomains)
    {
        if (labelFamily is not null && ShapesWorldCatalogue.Heads(labelFamily).FirstOrDefault(h => ShapesWorldCatalogue.DownstreamLabelFamilies.Contains(h.Name)) is { } held)
            throw new ArgumentException($"label family '{held.Name}' is held out for downstream tasks; a pretraining stream may not train on it");
        around = AppearanceDomain.All.Where(d => !heldOutDomains.Contains(d.Name)).ToList();
        if (around.Count == 0) throw new ArgumentException("data.heldOutDomains holds out every domain: the stream has nothing to sample around");
        Seed = StreamSeed(seed);
        LabelFamily = labelFamily;
        ImageSize = imageSize;
        HeldOutDomains = heldOutDomains;
    }

    /// <summary>The stream's world seed: derived from the training seed, never <see cref="ShapesWorldDataset.WorldSeed"/>.</summary>
    public static int StreamSeed(int trainingSeed)
    {
        var rng = SplitMix64.For((ulong)ShapesWorldDataset.WorldSeed, (ulong)(uint)trainingSeed, 0x57_12EAUL);
        int s;
        do s = (int)(rng.NextUInt64() & 0x7FFF_FFFF); while (s == ShapesWorldDataset.WorldSeed);
        return s;
    }

    public int Seed { get; }
    public string? LabelFamily { get; }
    public int ImageSize { get; }
    public IReadOnlyList<string> HeldOutDomains { get; }
    public IReadOnlyList<string> Domains => around.Select(d => d.Name).ToList();

    /// <summary>Step <paramref name="step"/>'s batch of <paramref name="batchSize"/> fresh scenes, rendered.</summary>
    public ClassificationSplit Batch(long step, int batchSize)
    {
        int e = 3 * ImageSize * ImageSize;
        var pixels = new float[(long)batchSize * e];
        var labels = new int[batchSize];
        var ids = new string[batchSize];
        Parallel.For(0, batchSize, row =>
        {
            long index = step * batchSize + row;
            var scene = SceneGenerator.Generate(Seed, index);
            var rng = SplitMix64.For((ulong)Seed, (ulong)index, 0xA99E_A2UL);
            var appearance = AppearanceDomain.Around(around, ref rng, ImageSize);
            var rgb = SceneRenderer.Image(scene, SceneRenderer.Geometry(scene, ImageSize), appearance, rng.NextUInt64());
            var dst = pixels.AsSpan(row * e, e);
            for (int i = 0; i < e; i++) dst[i] = (rgb[i] - 0.5f) / 0.5f;
            labels[row] = LabelFamily is null ? 0 : scene.Label(LabelFamily);
            ids[row] = $"shapesworld-stream/{Seed}/{index}";
        });
        return new ClassificationSplit("stream", DataSplit.Train, LabelFamily ?? "none", ImageSize, pixels, labels, ids);
    }

    /// <summary>Step <paramref name="step"/>'s batch with the rows a training step reads (all of them).</summary>
    public (ClassificationSplit Split, int[] Rows) Next(long step, int batchSize) => (Batch(step, batchSize), Enumerable.Range(0, batchSize).ToArray());

    /// <summary>Labels of the stream's first <paramref name="count"/> scenes (geometry only, nothing rendered): the majority-class floor's basis.</summary>
    public int[] Labels(int count)
    {
        var labels = new int[count];
        if (LabelFamily is null) return labels;
        Parallel.For(0, count, i => labels[i] = SceneGenerator.Generate(Seed, i).Label(LabelFamily));
        return labels;
    }
}
