using AdapterLab.Training.Datasets.ShapesWorld;
using StbImageWriteSharp;

namespace AdapterLab.Bench.Perf;

/// <summary>
/// Writes a generated classification split as a user's ImageFolder would look (<c>root/&lt;dataset&gt;/class-&lt;k&gt;/img.png</c>),
/// each image upscaled by an integer factor (nearest) so that loading it also resizes, as with real photos.
/// </summary>
public static class FolderFixture
{
    public static void Write(ClassificationSplit split, string dataRoot, string dataset, int scale = 2)
    {
        int size = split.ImageSize, outSize = size * scale, plane = size * size;
        var classes = split.Labels.Distinct().Order().ToArray();
        foreach (var k in classes) Directory.CreateDirectory(Path.Combine(dataRoot, dataset, $"class-{k}"));
        Parallel.For(0, split.Count, i =>
        {
            var rgb = new byte[outSize * outSize * 3];
            long offset = (long)i * split.ImageElements;
            for (int y = 0; y < outSize; y++)
            for (int x = 0; x < outSize; x++)
            for (int c = 0; c < 3; c++)
            {
                float v = split.Pixels[offset + c * plane + (y / scale) * size + x / scale] * 0.5f + 0.5f; // undo (v − 0.5) / 0.5
                rgb[(y * outSize + x) * 3 + c] = (byte)Math.Clamp(MathF.Round(v * 255f), 0, 255);
            }
            using var stream = File.Create(Path.Combine(dataRoot, dataset, $"class-{split.Labels[i]}", $"img{i:D5}.png"));
            new ImageWriter().WritePng(rgb, outSize, outSize, ColorComponents.RedGreenBlue, stream);
        });
    }
}
