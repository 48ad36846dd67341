using AdapterLab.Training.Datasets.Folders;
using AdapterLab.Training.Datasets.ShapesWorld;
using StbImageSharp;

namespace AdapterLab.Training.Datasets.DenseFolders;

/// <summary>
/// A paired-folder dense dataset inside the data root (path checked with the classification engineer's
/// <see cref="PathSafety"/>): <c>rgb/NAME.png|jpg</c> with, for the same NAME, <c>seg/NAME.png</c> (grey level = class
/// index 0–5, as ShapesWorld: sky, ground, disc, square, triangle, ring), <c>depth/NAME.png</c> (grey level v → depth
/// v / 255 · 30; 0 = invalid, treated as sky-like and masked), <c>normals/NAME.png</c> (RGB → 2·v/255 − 1, renormalised)
/// and optionally <c>edges/NAME.png</c> (grey / 255; missing: Sobel of the segmentation). Images are resized to the model's
/// size (bilinear for RGB, nearest for targets). Splits follow <see cref="FolderDataset.SplitOf"/> on the rgb file's path.
/// </summary>
public sealed class DenseFolderDataset
{
    public const double DepthScale = 30;
    private readonly Dictionary<DataSplit, DenseSplit> splits;

    private DenseFolderDataset(Dictionary<DataSplit, DenseSplit> splits) => this.splits = splits;

    public DenseSplit Split(DataSplit split) => splits[split];

    public static DenseFolderDataset Open(string? dataRoot, string relativePath, int size)
    {
        var root = PathSafety.Resolve(dataRoot ?? "", relativePath);
        var rgbDir = Path.Combine(root, "rgb");
        if (!Directory.Exists(rgbDir)) throw new ArgumentException($"dense folder dataset '{relativePath}' has no rgb/ folder");
        var files = Directory.EnumerateFiles(rgbDir).Where(f => FolderDataset.ImageExtensions.Contains(Path.GetExtension(f))).Order(StringComparer.Ordinal).ToList();
        var grouped = files.GroupBy(f => FolderDataset.SplitOf(Path.GetRelativePath(root, f))).ToDictionary(g => g.Key, g => g.ToList());
        var result = new Dictionary<DataSplit, DenseSplit>();
        foreach (var split in Enum.GetValues<DataSplit>())
            result[split] = Load(root, grouped.GetValueOrDefault(split) ?? [], size);
        return new DenseFolderDataset(result);
    }

    private static DenseSplit Load(string root, List<string> rgbFiles, int size)
    {
        int hw = size * size, n = rgbFiles.Count;
        var pixels = new float[n * 3 * hw];
        var seg = new int[n * hw];
        var depth = new float[n * hw];
        var normals = new float[n * 3 * hw];
        var edges = new float[n * hw];
        for (int i = 0; i < n; i++)
        {
            string name = Path.GetFileNameWithoutExtension(rgbFiles[i]);
            var rgb = Decode(rgbFiles[i], ColorComponents.RedGreenBlue);
            ImageResize.ToNormalisedChw(rgb.Data, rgb.Width, rgb.Height, size, pixels.AsSpan(i * 3 * hw, 3 * hw));
            var s = Nearest(Decode(Target(root, "seg", name), ColorComponents.Grey), size, 1);
            var d = Nearest(Decode(Target(root, "depth", name), ColorComponents.Grey), size, 1);
            var nm = Nearest(Decode(Target(root, "normals", name), ColorComponents.RedGreenBlue), size, 3);
            for (int p = 0; p < hw; p++)
            {
                seg[i * hw + p] = Math.Min((int)s[p], DenseTargets.Classes - 1);
                if (d[p] == 0) seg[i * hw + p] = DenseTargets.SkyClass;
                depth[i * hw + p] = (float)(Math.Max(d[p], (byte)1) / 255.0 * DepthScale);
                double x = nm[3 * p] / 127.5 - 1, y = nm[3 * p + 1] / 127.5 - 1, z = nm[3 * p + 2] / 127.5 - 1;
                double len = Math.Sqrt(x * x + y * y + z * z);
                if (len < 1e-6) { x = 0; y = 0; z = 1; len = 1; }
                normals[i * 3 * hw + p] = (float)(x / len);
                normals[i * 3 * hw + hw + p] = (float)(y / len);
                normals[i * 3 * hw + 2 * hw + p] = (float)(z / len);
            }
            var edgeFile = Path.Combine(root, "edges", name + ".png");
            if (File.Exists(edgeFile))
            {
                var e = Nearest(Decode(edgeFile, ColorComponents.Grey), size, 1);
                for (int p = 0; p < hw; p++) edges[i * hw + p] = e[p] / 255f;
            }
            else
            {
                for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    int c = seg[i * hw + y * size + x];
                    bool boundary = (x + 1 < size && seg[i * hw + y * size + x + 1] != c) || (y + 1 < size && seg[i * hw + (y + 1) * size + x] != c)
                        || (x > 0 && seg[i * hw + y * size + x - 1] != c) || (y > 0 && seg[i * hw + (y - 1) * size + x] != c);
                    edges[i * hw + y * size + x] = boundary ? 1 : 0;
                }
            }
        }
        return new DenseSplit("folder", size, pixels, seg, depth, normals, edges, rgbFiles.Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).ToArray());
    }

    private static string Target(string root, string folder, string name)
    {
        var path = Path.Combine(root, folder, name + ".png");
        if (!File.Exists(path)) throw new ArgumentException($"dense folder dataset: '{folder}/{name}.png' is missing (every rgb image needs seg/, depth/ and normals/)");
        var real = PathSafety.RealPath(path);
        if (!PathSafety.IsInside(PathSafety.RealPath(root), real)) throw new PathEscapeException($"'{folder}/{name}.png' escapes the dataset folder");
        return real;
    }

    private static ImageResult Decode(string path, ColorComponents components) => ImageResult.FromMemory(File.ReadAllBytes(path), components);

    private static byte[] Nearest(ImageResult image, int size, int channels)
    {
        var output = new byte[size * size * channels];
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
        {
            int sy = Math.Min(image.Height - 1, (int)((y + 0.5) * image.Height / size));
            int sx = Math.Min(image.Width - 1, (int)((x + 0.5) * image.Width / size));
            for (int c = 0; c < channels; c++) output[(y * size + x) * channels + c] = image.Data[(sy * image.Width + sx) * channels + c];
        }
        return output;
    }
}
