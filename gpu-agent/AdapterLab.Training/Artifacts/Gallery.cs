using System.IO.Compression;
using System.Text.Json;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Datasets.ShapesWorld;
using AdapterLab.Training.Multitask;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Artifacts;

/// <summary>
/// The prediction gallery of a dense experiment (and of a masked-autoencoder pretraining, whose one "task" is
/// <c>reconstruction</c>: an RGB image like the input): one zip (uploaded as a checkpoint of kind <c>gallery</c>) holding
/// <c>manifest.json</c> and 8-bit RGB PNGs. Manifest (format <c>adapterlab-gallery-1</c>):
/// <code>{ "format": "adapterlab-gallery-1", "step": 10, "imageSize": 32, "tasks": ["segmentation", …],
///   "items": [ { "domain": "synthetic", "index": 0, "input": "synthetic/0/input.png",
///                "tasks": { "segmentation": { "prediction": "synthetic/0/segmentation-prediction.png",
///                                             "truth": "synthetic/0/segmentation-truth.png" }, … } } ] }</code>
/// Renderings: segmentation as a fixed palette (sky, ground, disc, square, triangle, ring), depth as grey (near bright,
/// log scale over [0.5, 30]), normals as (n + 1) / 2 in RGB, edges as grey.
/// </summary>
public static class Gallery
{
    public const string Format = "adapterlab-gallery-1";
    public const int ImagesPerDomain = 3;

    /// <summary>Masked autoencoding's image-valued "task": RGB in the input's normalisation.</summary>
    public const string ReconstructionTask = "reconstruction";

    private static readonly byte[][] Palette = [[135, 190, 235], [110, 100, 80], [230, 80, 60], [70, 160, 230], [240, 200, 50], [160, 90, 200]];

    public sealed record Entry(string Domain, int Index, float[] Input, Dictionary<string, (float[] Prediction, float[] Truth)> Tasks);

    /// <summary>Renders the model's predictions on the first test images of every evaluation domain into <c>gallery.zip</c> and reports it as an artifact.</summary>
    public static void WritePredictions(MultitaskModel model, MultitaskPlan plan, DenseData data, Device device, long step, string work, AdapterLab.Training.Api.ITrainingObserver observer)
    {
        model.eval();
        var entries = new List<Entry>();
        // A repeated task (the affinity's positive control) predicts what its original does: shown once.
        var shown = plan.Tasks.Where(t => !AdapterLab.Contracts.Specs.Tasks.IsCopy(t)).ToList();
        using (torch.no_grad())
            foreach (var domain in plan.EvaluationDomains)
            {
                using var scope = torch.NewDisposeScope();
                var d = data.Get(domain, DataSplit.Test);
                var rows = Enumerable.Range(0, Math.Min(ImagesPerDomain, d.Count)).ToArray();
                if (rows.Length == 0) continue;
                var images = d.ImagesTensor(rows, device);
                var raw = model.Forward(images, plan.Tasks);
                int e = 3 * d.ImageSize * d.ImageSize;
                for (int r = 0; r < rows.Length; r++)
                    entries.Add(new Entry(domain, rows[r], d.Pixels.AsSpan(rows[r] * e, e).ToArray(),
                        shown.ToDictionary(t => t, t => (PredictionMap(t, raw[t][r]), TruthMap(t, d, rows[r])))));
            }
        var path = Path.Combine(work, "gallery.zip");
        Write(path, plan.ImageSize, step, shown, entries);
        observer.OnArtifact(step, "gallery", path);
    }


    public static void Write(string path, int imageSize, long step, IReadOnlyList<string> tasks, IReadOnlyList<Entry> entries)
    {
        using var file = File.Create(path);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        var items = new List<object>();
        foreach (var e in entries)
        {
            string dir = $"{e.Domain}/{e.Index}";
            Add(zip, $"{dir}/input.png", Png.Encode(imageSize, imageSize, RenderInput(e.Input, imageSize)));
            var taskFiles = new Dictionary<string, object>();
            foreach (var (task, (prediction, truth)) in e.Tasks)
            {
                Add(zip, $"{dir}/{task}-prediction.png", Png.Encode(imageSize, imageSize, Render(task, prediction, imageSize)));
                Add(zip, $"{dir}/{task}-truth.png", Png.Encode(imageSize, imageSize, Render(task, truth, imageSize)));
                taskFiles[task] = new { prediction = $"{dir}/{task}-prediction.png", truth = $"{dir}/{task}-truth.png" };
            }
            items.Add(new { domain = e.Domain, index = e.Index, input = $"{dir}/input.png", tasks = taskFiles });
        }
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new { format = Format, step, imageSize, tasks, items }, new JsonSerializerOptions { WriteIndented = true });
        Add(zip, "manifest.json", manifest);
    }

    private static void Add(ZipArchive zip, string name, byte[] bytes)
    {
        using var s = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
        s.Write(bytes);
    }

    private static byte B(double v) => (byte)Math.Clamp(Math.Round(v * 255), 0, 255);

    private static byte[] RenderInput(float[] normalised, int size)
    {
        int hw = size * size;
        var rgb = new byte[3 * hw];
        for (int i = 0; i < hw; i++)
            for (int c = 0; c < 3; c++) rgb[3 * i + c] = B(normalised[c * hw + i] * 0.5 + 0.5);
        return rgb;
    }

    /// <summary>A task's map (as <see cref="PredictionMap"/> gives it) as a PNG in the gallery's colours.</summary>
    public static byte[] RenderPng(string task, float[] map, int size) => Png.Encode(size, size, Render(task, map, size));

    /// <summary>Task maps as stored in the entry: segmentation class per pixel, depth, normals [3, H, W], edges.</summary>
    private static byte[] Render(string task, float[] map, int size)
    {
        int hw = size * size;
        var rgb = new byte[3 * hw];
        for (int i = 0; i < hw; i++)
        {
            switch (Tasks.KindOf(task))
            {
                case Tasks.Segmentation:
                    var colour = Palette[Math.Clamp((int)map[i], 0, Palette.Length - 1)];
                    rgb[3 * i] = colour[0]; rgb[3 * i + 1] = colour[1]; rgb[3 * i + 2] = colour[2];
                    break;
                case Tasks.Depth:
                    double d = Math.Clamp(map[i], 0.5, 30);
                    byte g = B(1 - Math.Log(d / 0.5) / Math.Log(60));
                    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = g;
                    break;
                case Tasks.Normals:
                case ReconstructionTask:
                    for (int c = 0; c < 3; c++) rgb[3 * i + c] = B(map[c * hw + i] * 0.5 + 0.5);
                    break;
                default:
                    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = B(map[i]);
                    break;
            }
        }
        return rgb;
    }

    /// <summary>A task's prediction of one image as a flat map (argmax class, depth, unit normals, edge probability).</summary>
    public static float[] PredictionMap(string task, Tensor raw)
    {
        using var scope = torch.NewDisposeScope();
        var t = Tasks.KindOf(task) switch
        {
            Tasks.Segmentation => raw.argmax(0).to(ScalarType.Float32),
            Tasks.Depth => DenseOutputs.Depth(raw),
            Tasks.Normals => DenseOutputs.Normals(raw.unsqueeze(0)).squeeze(0),
            _ => DenseOutputs.Edges(raw),
        };
        return t.contiguous().cpu().data<float>().ToArray();
    }

    public static float[] TruthMap(string task, DenseSplit split, int row)
    {
        int hw = split.ImageSize * split.ImageSize;
        return Tasks.KindOf(task) switch
        {
            Tasks.Segmentation => split.Segmentation.AsSpan(row * hw, hw).ToArray().Select(v => (float)v).ToArray(),
            Tasks.Depth => split.Depth.AsSpan(row * hw, hw).ToArray(),
            Tasks.Normals => split.Normals.AsSpan(row * 3 * hw, 3 * hw).ToArray(),
            _ => split.Edges.AsSpan(row * hw, hw).ToArray(),
        };
    }
}

/// <summary>Minimal PNG encoder: 8-bit RGB, no interlace, filter 0 per row, zlib via ZLibStream.</summary>
public static class Png
{
    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    public static byte[] Encode(int width, int height, byte[] rgb)
    {
        using var output = new MemoryStream();
        output.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        var header = new byte[13];
        WriteBigEndian(header, 0, (uint)width);
        WriteBigEndian(header, 4, (uint)height);
        header[8] = 8; header[9] = 2; // bit depth 8, colour type RGB
        Chunk(output, "IHDR", header);
        using (var raw = new MemoryStream())
        {
            using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
                for (int y = 0; y < height; y++)
                {
                    z.WriteByte(0);
                    z.Write(rgb, y * width * 3, width * 3);
                }
            Chunk(output, "IDAT", raw.ToArray());
        }
        Chunk(output, "IEND", []);
        return output.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var len = new byte[4];
        WriteBigEndian(len, 0, (uint)data.Length);
        s.Write(len);
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        uint crc = 0xFFFFFFFFu;
        foreach (var b in typeBytes.Concat(data)) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        var crcBytes = new byte[4];
        WriteBigEndian(crcBytes, 0, crc ^ 0xFFFFFFFFu);
        s.Write(crcBytes);
    }

    private static void WriteBigEndian(byte[] b, int offset, uint v)
    {
        b[offset] = (byte)(v >> 24); b[offset + 1] = (byte)(v >> 16); b[offset + 2] = (byte)(v >> 8); b[offset + 3] = (byte)v;
    }
}
