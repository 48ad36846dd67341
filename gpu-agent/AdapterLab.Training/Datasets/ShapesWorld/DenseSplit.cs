using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Datasets.ShapesWorld;

/// <summary>
/// A dense split held in memory: normalised images [N, 3, S, S] and per-pixel targets (segmentation class, depth,
/// unit normals [3, S, S], edges in [0, 1]). Also built from a paired-folder dataset (see DenseFolders).
/// </summary>
public sealed class DenseSplit
{
    /// <param name="exampleIds">Stable id per image (see <see cref="ClassificationSplit.ExampleIds"/>).</param>
    public DenseSplit(string domain, int imageSize, float[] pixels, int[] segmentation, float[] depth, float[] normals, float[] edges, IReadOnlyList<string> exampleIds)
    {
        ExampleIds = exampleIds;
        Domain = domain;
        ImageSize = imageSize;
        Pixels = pixels;
        Segmentation = segmentation;
        Depth = depth;
        Normals = normals;
        Edges = edges;
        Count = segmentation.Length / (imageSize * imageSize);
    }

    public string Domain { get; }
    public int ImageSize { get; }
    public int Count { get; }
    public float[] Pixels { get; }
    public int[] Segmentation { get; }
    public float[] Depth { get; }
    public float[] Normals { get; }
    public float[] Edges { get; }
    /// <summary>
    /// Where depth and normals count (1) or not (0), one plane per image, when they do not follow from this split's own
    /// segmentation (the negative control moves each task's targets and masks together); null: every non-sky pixel.
    /// </summary>
    public float[]? DepthValid { get; private init; }
    public float[]? NormalsValid { get; private init; }
    /// <summary>Stable id per image (ShapesWorld: world seed + scene index; folders: the rgb file's path below the dataset).</summary>
    public IReadOnlyList<string> ExampleIds { get; }
    private int Plane => ImageSize * ImageSize;

    public Tensor ImagesTensor(ReadOnlySpan<int> rows, Device device) => Gather(Pixels, rows, 3, device);
    public Tensor DepthTensor(ReadOnlySpan<int> rows, Device device) => Gather(Depth, rows, 1, device);
    public Tensor NormalsTensor(ReadOnlySpan<int> rows, Device device) => Gather(Normals, rows, 3, device);
    public Tensor EdgesTensor(ReadOnlySpan<int> rows, Device device) => Gather(Edges, rows, 1, device);

    /// <summary>Class indices [n, S, S] (int64).</summary>
    public Tensor SegmentationTensor(ReadOnlySpan<int> rows, Device device)
    {
        int e = Plane;
        var buffer = new long[rows.Length * e];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < e; j++) buffer[i * e + j] = Segmentation[(long)rows[i] * e + j];
        var t = torch.tensor(buffer, [rows.Length, ImageSize, ImageSize]);
        return BatchTransfer.ToDevice(t, device);
    }

    /// <summary>
    /// The negative control of task affinity (ml-spec): the same images, each task's targets taken from another image
    /// (an independent permutation of images per task) <b>and</b> spatially scrambled (an independent random permutation of
    /// the pixels per image and task, so no layout prior such as sky-on-top survives); the valid masks of depth and normals
    /// travel with the targets they belong to (the same source image, the same scramble). Seeded.
    /// </summary>
    public DenseSplit WithShuffledTargets(int seed)
    {
        var random = new Random(seed ^ 0x5f3759df);
        int[] Permutation(int n)
        {
            var p = Enumerable.Range(0, n).ToArray();
            random.Shuffle(p);
            return p;
        }
        var valid = Segmentation.Select(c => c == DenseTargets.SkyClass ? 0f : 1f).ToArray();
        // Per task: which image its targets come from, and how each image's pixels are scrambled.
        (int[] Images, int[][] Pixels) Moves() => (Permutation(Count), Enumerable.Range(0, Count).Select(_ => Permutation(Plane)).ToArray());
        var seg = Moves(); var depth = Moves(); var normals = Moves(); var edges = Moves();
        return new DenseSplit(Domain, ImageSize, Pixels, Move(Segmentation, 1, seg), Move(Depth, 1, depth), Move(Normals, 3, normals), Move(Edges, 1, edges), ExampleIds)
        {
            DepthValid = Move(valid, 1, depth),
            NormalsValid = Move(valid, 1, normals),
        };
    }

    /// <summary>Image i of the result is image <c>images[i]</c> of <paramref name="source"/> with pixel k taken from pixel <c>pixels[i][k]</c> (every channel alike).</summary>
    private T[] Move<T>(T[] source, int channels, (int[] Images, int[][] Pixels) moves)
    {
        int plane = Plane;
        var result = new T[source.Length];
        for (int i = 0; i < Count; i++)
        {
            long from = (long)moves.Images[i] * channels * plane, to = (long)i * channels * plane;
            var scramble = moves.Pixels[i];
            for (int c = 0; c < channels; c++)
                for (int k = 0; k < plane; k++) result[to + c * plane + k] = source[from + c * plane + scramble[k]];
        }
        return result;
    }

    /// <summary>Valid-pixel masks [n, 1, S, S] of depth (or normals) when this split carries its own; null otherwise.</summary>
    public Tensor? DepthValidTensor(ReadOnlySpan<int> rows, Device device) => DepthValid is null ? null : Gather(DepthValid, rows, 1, device);
    public Tensor? NormalsValidTensor(ReadOnlySpan<int> rows, Device device) => NormalsValid is null ? null : Gather(NormalsValid, rows, 1, device);

    private Tensor Gather(float[] source, ReadOnlySpan<int> rows, int channels, Device device)
    {
        int e = channels * Plane;
        var buffer = new float[rows.Length * e];
        for (int i = 0; i < rows.Length; i++) Array.Copy(source, (long)rows[i] * e, buffer, (long)i * e, e);
        var t = torch.tensor(buffer, [rows.Length, channels, ImageSize, ImageSize]);
        return BatchTransfer.ToDevice(t, device);
    }
}
