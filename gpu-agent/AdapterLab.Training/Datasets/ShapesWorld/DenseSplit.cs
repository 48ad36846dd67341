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
        return device.type == DeviceType.CPU ? t : t.to(device);
    }

    /// <summary>
    /// The shuffled-task-label control: the same images, each task's targets taken from another image, with an
    /// independent permutation per task (seeded), so labels no longer belong to their image or to each other.
    /// </summary>
    public DenseSplit WithShuffledTargets(int seed)
    {
        var random = new Random(seed ^ 0x5f3759df);
        int[] Permutation()
        {
            var p = Enumerable.Range(0, Count).ToArray();
            random.Shuffle(p);
            return p;
        }
        return new DenseSplit(Domain, ImageSize, Pixels, Permute(Segmentation, 1, Permutation()), Permute(Depth, 1, Permutation()),
            Permute(Normals, 3, Permutation()), Permute(Edges, 1, Permutation()), ExampleIds);
    }

    private T[] Permute<T>(T[] source, int channels, int[] permutation)
    {
        int e = channels * Plane;
        var result = new T[source.Length];
        for (int i = 0; i < Count; i++) Array.Copy(source, (long)permutation[i] * e, result, (long)i * e, e);
        return result;
    }

    private Tensor Gather(float[] source, ReadOnlySpan<int> rows, int channels, Device device)
    {
        int e = channels * Plane;
        var buffer = new float[rows.Length * e];
        for (int i = 0; i < rows.Length; i++) Array.Copy(source, (long)rows[i] * e, buffer, (long)i * e, e);
        var t = torch.tensor(buffer, [rows.Length, channels, ImageSize, ImageSize]);
        return device.type == DeviceType.CPU ? t : t.to(device);
    }
}
