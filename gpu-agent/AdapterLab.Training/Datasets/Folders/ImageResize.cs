using StbImageSharp;
namespace AdapterLab.Training.Datasets.Folders;

/// <summary>
/// Resizes interleaved 8-bit RGB to a square float image, separably per axis: <b>area</b> averaging when an axis
/// shrinks (every source pixel contributes by its overlap, so no aliasing) and <b>bilinear</b> (half-pixel centres,
/// edge-clamped) when it grows. Aspect ratio is not preserved: the whole image is mapped onto the square.
/// Output is channel-major [3, S, S], normalised as (v/255 − 0.5) / 0.5 like ShapesWorld.
/// </summary>
public static class ImageResize
{
    private readonly record struct Tap(int Index, float Weight);

    /// <summary>Larger images are refused before they are decoded (a small file can declare a huge canvas).</summary>
    public const long MaxPixels = 50_000_000;

    /// <summary>
    /// Decodes a PNG or JPEG (any channel layout, as RGB) and resizes it into <paramref name="destination"/> (3 × size²):
    /// how a folder dataset's images and a served request's images become pixels, so both see the same numbers.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a decodable PNG/JPEG, an empty or a too large image.</exception>
    public static void Decode(byte[] bytes, int size, Span<float> destination)
    {
        ImageResult image;
        try
        {
            ImageInfo? info;
            using (var header = new MemoryStream(bytes, writable: false)) info = ImageInfo.FromStream(header);
            if (info is not { } i) throw new InvalidDataException("not a PNG or JPEG image");
            if (i.Width <= 0 || i.Height <= 0) throw new InvalidDataException($"{i.Width}×{i.Height} image");
            if ((long)i.Width * i.Height > MaxPixels) throw new InvalidDataException($"{i.Width}×{i.Height} image is larger than {MaxPixels:N0} pixels");
            image = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlue) ?? throw new InvalidDataException("decoder returned nothing");
        }
        catch (Exception ex) when (ex is not (InvalidDataException or OutOfMemoryException))
        {
            throw new InvalidDataException(ex.Message.Trim(), ex);
        }
        if (image.Width <= 0 || image.Height <= 0) throw new InvalidDataException($"{image.Width}×{image.Height} image");
        ToNormalisedChw(image.Data, image.Width, image.Height, size, destination);
    }

    private static int stuckDecodes;

    /// <summary>Decodes of untrusted images that passed their deadline and never returned (their threads spin on).</summary>
    public static int StuckDecodes => Volatile.Read(ref stuckDecodes);

    /// <summary>
    /// <see cref="Decode"/> for bytes from outside (a served request), under a deadline: the decoder (a port of stb_image)
    /// can loop forever on some malformed JPEGs (the hostile-input test found one), so it runs on a thread of its own and a
    /// decode past <paramref name="deadline"/> is refused as an <see cref="InvalidDataException"/>. Such a thread cannot be
    /// stopped; <see cref="StuckDecodes"/> counts them so the host can report itself unready and be replaced.
    /// </summary>
    public static void DecodeUntrusted(byte[] bytes, int size, Span<float> destination, TimeSpan deadline)
    {
        var result = new float[3 * size * size];
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try { Decode(bytes, size, result); }
            catch (Exception ex) { failure = ex; }
        }, maxStackSize: 4 * 1024 * 1024) { IsBackground = true, Name = "image-decode" };
        thread.Start();
        if (!thread.Join(deadline))
        {
            Interlocked.Increment(ref stuckDecodes);
            throw new InvalidDataException($"the image did not decode within {deadline.TotalSeconds:0.#} s (a malformed image)");
        }
        if (failure is InvalidDataException invalid) throw invalid;
        if (failure is not null) throw new InvalidDataException(failure.Message.Trim(), failure);
        result.AsSpan().CopyTo(destination);
    }

    public static void ToNormalisedChw(ReadOnlySpan<byte> rgb, int width, int height, int size, Span<float> destination)
    {
        if (rgb.Length < width * height * 3) throw new ArgumentException("pixel buffer shorter than width × height × 3");
        if (destination.Length < 3 * size * size) throw new ArgumentException("destination shorter than 3 × size²");
        var xTaps = Taps(width, size);
        var yTaps = Taps(height, size);

        // Horizontal pass: [height, size, 3] floats in 0..1.
        var rows = new float[height * size * 3];
        for (int y = 0; y < height; y++)
        {
            int src = y * width * 3, dst = y * size * 3;
            for (int x = 0; x < size; x++)
            {
                float r = 0, g = 0, b = 0;
                foreach (var t in xTaps[x])
                {
                    int p = src + t.Index * 3;
                    r += rgb[p] * t.Weight;
                    g += rgb[p + 1] * t.Weight;
                    b += rgb[p + 2] * t.Weight;
                }
                rows[dst + x * 3] = r / 255f;
                rows[dst + x * 3 + 1] = g / 255f;
                rows[dst + x * 3 + 2] = b / 255f;
            }
        }
        // Vertical pass into CHW, normalised.
        int plane = size * size;
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                float r = 0, g = 0, b = 0;
                foreach (var t in yTaps[y])
                {
                    int p = (t.Index * size + x) * 3;
                    r += rows[p] * t.Weight;
                    g += rows[p + 1] * t.Weight;
                    b += rows[p + 2] * t.Weight;
                }
                int o = y * size + x;
                destination[o] = (r - 0.5f) / 0.5f;
                destination[plane + o] = (g - 0.5f) / 0.5f;
                destination[2 * plane + o] = (b - 0.5f) / 0.5f;
            }
        }
    }

    private static Tap[][] Taps(int source, int target)
    {
        var taps = new Tap[target][];
        double scale = (double)source / target;
        for (int i = 0; i < target; i++)
        {
            var list = new List<Tap>(4);
            if (scale >= 1)
            {
                // Area: output pixel i covers source interval [i·scale, (i+1)·scale).
                double start = i * scale, end = (i + 1) * scale;
                for (int s = (int)Math.Floor(start); s < Math.Min(source, (int)Math.Ceiling(end)); s++)
                {
                    double overlap = Math.Min(end, s + 1) - Math.Max(start, s);
                    if (overlap > 1e-9) list.Add(new Tap(s, (float)(overlap / scale)));
                }
            }
            else
            {
                // Bilinear with half-pixel centres (align_corners = false), clamped at the edges.
                double centre = Math.Clamp((i + 0.5) * scale - 0.5, 0, source - 1);
                int s0 = (int)Math.Floor(centre);
                int s1 = Math.Min(s0 + 1, source - 1);
                float f = (float)(centre - s0);
                list.Add(new Tap(s0, 1 - f));
                if (s1 != s0 && f > 0) list.Add(new Tap(s1, f));
            }
            taps[i] = [.. list];
        }
        return taps;
    }
}
