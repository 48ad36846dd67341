using StbImageWriteSharp;
using WriteComponents = StbImageWriteSharp.ColorComponents;

namespace AdapterLab.Training.Tests.Folders;

/// <summary>Writes tiny ImageFolder trees of generated PNGs and JPEGs (StbImageWriteSharp) for the folder-dataset tests.</summary>
public static class FolderImages
{
    public static readonly (string Name, byte R, byte G, byte B)[] Colours = [("blue", 20, 40, 220), ("green", 30, 200, 40), ("red", 220, 30, 30)];

    /// <summary>A data root holding <c>&lt;dataset&gt;/&lt;class&gt;/img{i}.png|jpg</c>; returns the data root.</summary>
    public static string CreateDataset(string dataRoot, string dataset = "colours", int perClass = 30, int seed = 1)
    {
        var random = new Random(seed);
        foreach (var (name, r, g, b) in Colours)
        {
            var dir = Path.Combine(dataRoot, dataset, name);
            Directory.CreateDirectory(dir);
            for (int i = 0; i < perClass; i++)
            {
                // Mixed sizes and aspect ratios, both formats, a little noise so images differ.
                int w = 12 + random.Next(40), h = 12 + random.Next(40);
                var pixels = Solid(w, h, r, g, b, random, noise: 30);
                if (i % 3 == 0) WriteJpg(Path.Combine(dir, $"img{i:D3}.jpg"), pixels, w, h);
                else WritePng(Path.Combine(dir, $"img{i:D3}.png"), pixels, w, h);
            }
        }
        return dataRoot;
    }

    public static byte[] Solid(int w, int h, byte r, byte g, byte b, Random? random = null, int noise = 0)
    {
        var data = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++)
        {
            data[i * 3] = Jitter(r, random, noise);
            data[i * 3 + 1] = Jitter(g, random, noise);
            data[i * 3 + 2] = Jitter(b, random, noise);
        }
        return data;
    }

    private static byte Jitter(byte v, Random? random, int noise) =>
        random is null || noise == 0 ? v : (byte)Math.Clamp(v + random.Next(-noise, noise + 1), 0, 255);

    public static void WritePng(string path, byte[] rgb, int w, int h)
    {
        using var stream = File.Create(path);
        new ImageWriter().WritePng(rgb, w, h, WriteComponents.RedGreenBlue, stream);
    }

    public static void WriteJpg(string path, byte[] rgb, int w, int h)
    {
        using var stream = File.Create(path);
        new ImageWriter().WriteJpg(rgb, w, h, WriteComponents.RedGreenBlue, stream, 95);
    }
}
