using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Datasets.ShapesWorld;

/// <summary>A generated classification split held in memory: normalised images [N, 3, S, S] and class indices.</summary>
public sealed class ClassificationSplit
{
    internal ClassificationSplit(string domain, DataSplit split, string labelFamily, int imageSize, float[] images, int[] labels, IReadOnlyList<string> exampleIds)
    {
        if (exampleIds.Count != labels.Length) throw new ArgumentException("one example id per label");
        ExampleIds = exampleIds;
        Domain = domain;
        Split = split;
        LabelFamily = labelFamily;
        ImageSize = imageSize;
        Pixels = images;
        Labels = labels;
    }

    public string Domain { get; }
    public DataSplit Split { get; }
    public string LabelFamily { get; }
    public int ImageSize { get; }
    public int Count => Labels.Length;

    /// <summary>Normalised ((v − 0.5) / 0.5) pixels, image-major then channel-major.</summary>
    public float[] Pixels { get; }

    public int[] Labels { get; }

    /// <summary>Stable id per row (ShapesWorld: world seed + scene index; folders: the path below the dataset folder).</summary>
    public IReadOnlyList<string> ExampleIds { get; }

    public int ImageElements => 3 * ImageSize * ImageSize;

    /// <summary>The given rows as a float tensor [n, 3, S, S] on <paramref name="device"/>.</summary>
    public Tensor ImagesTensor(ReadOnlySpan<int> rows, Device device)
    {
        int e = ImageElements;
        var buffer = new float[rows.Length * e];
        for (int i = 0; i < rows.Length; i++) Array.Copy(Pixels, (long)rows[i] * e, buffer, (long)i * e, e);
        var t = torch.tensor(buffer, [rows.Length, 3, ImageSize, ImageSize]);
        return BatchTransfer.ToDevice(t, device);
    }

    public Tensor LabelsTensor(ReadOnlySpan<int> rows, Device device)
    {
        var buffer = new long[rows.Length];
        for (int i = 0; i < rows.Length; i++) buffer[i] = Labels[rows[i]];
        var t = torch.tensor(buffer);
        return BatchTransfer.ToDevice(t, device);
    }
}
