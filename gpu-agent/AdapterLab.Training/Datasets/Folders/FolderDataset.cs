using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using AdapterLab.Contracts.Folders;
using AdapterLab.Training.Datasets.ShapesWorld;
using StbImageSharp;

namespace AdapterLab.Training.Datasets.Folders;

/// <summary>
/// An ImageFolder dataset: <c>root/&lt;class&gt;/**/*.png|jpg|jpeg</c>, classes are the sub-folder names in ordinal order.
/// <list type="bullet">
/// <item>Each image's split is fixed by a hash of its relative path (<see cref="FolderSplits"/>, not the training
/// seed): 80 % train, 10 % validation, 10 % test, so adding files never moves existing ones and seeds share
/// validation/test images.</item>
/// <item>Every image is decoded (StbImageSharp) and resized (<see cref="ImageResize"/>) once, in parallel, when the
/// dataset is first used at an image size, and kept in memory; a batch is then a memory copy. The cache key includes
/// every file's size and modification time, so edited data is decoded again.</item>
/// <item>Any file with an image extension that cannot be decoded, and any file whose real path escapes the data root
/// (a symbolic link), fails the whole dataset with a <see cref="FolderDatasetException"/> that lists them: nothing is
/// silently skipped. Files with other extensions and hidden entries are ignored.</item>
/// </list>
/// </summary>
public sealed class FolderDataset
{
    public static readonly IReadOnlySet<string> ImageExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg" };

    private const long MaxCachedFloats = 256L * 1024 * 1024;
    private static readonly ConcurrentDictionary<string, Lazy<Decoded>> Cache = new();
    private static long _cachedFloats;

    private FolderDataset(string relativePath, string realPath, IReadOnlyList<string> classes, IReadOnlyList<FolderImage> images, string fingerprint)
    {
        RelativePath = relativePath;
        RealPath = realPath;
        Classes = classes;
        Images = images;
        Fingerprint = fingerprint;
    }

    /// <summary>The path as given (relative to the data root).</summary>
    public string RelativePath { get; }

    /// <summary>The dataset folder's real path (inside the data root).</summary>
    public string RealPath { get; }

    public IReadOnlyList<string> Classes { get; }

    /// <summary>Every image, ordered by relative path.</summary>
    public IReadOnlyList<FolderImage> Images { get; }

    private string Fingerprint { get; }

    /// <summary>Time the last <see cref="Split"/> call that decoded spent decoding and resizing (zero when cached).</summary>
    public static TimeSpan LastDecodeTime { get; private set; }

    public int Count(DataSplit split, int? perClass = null) => perClass is { } k
        ? Images.Where(i => i.Split == split).GroupBy(i => i.ClassIndex).Sum(g => Math.Min(k, g.Count()))
        : Images.Count(i => i.Split == split);

    /// <summary>The one class of an unlabelled dataset.</summary>
    public const string Unlabelled = "(unlabelled)";

    /// <summary>Scans <paramref name="relativePath"/> under <paramref name="dataRoot"/> (checked with <see cref="PathSafety"/>).</summary>
    /// <param name="labelled">False for masked autoencoding: class sub-folders are ignored, a plain folder of images is enough.</param>
    public static FolderDataset Open(string? dataRoot, string relativePath, bool labelled = true)
    {
        if (string.IsNullOrWhiteSpace(dataRoot))
            throw new FolderDatasetException($"data.path '{relativePath}': this agent has no data root configured (Agent:DataRoot)");
        string realRoot = PathSafety.RealPath(dataRoot);
        string real;
        try
        {
            real = PathSafety.Resolve(realRoot, relativePath);
        }
        catch (PathEscapeException ex)
        {
            throw new FolderDatasetException($"data.path: {ex.Message}");
        }
        if (!Directory.Exists(real)) throw new FolderDatasetException($"data.path '{relativePath}' is not a folder");

        // Labelled: one class per sub-folder. Unlabelled (masked autoencoding): every image anywhere below the folder,
        // class sub-folders or none, all in one class.
        var classes = labelled
            ? new DirectoryInfo(real).EnumerateDirectories().Where(d => !d.Name.StartsWith('.')).Select(d => d.Name).Order(StringComparer.Ordinal).ToList()
            : [Unlabelled];
        if (labelled && classes.Count < 2)
            throw new FolderDatasetException($"data.path '{relativePath}': an ImageFolder needs at least two class sub-folders, found {classes.Count}");

        var images = new List<FolderImage>();
        var escapes = new List<string>();
        var fingerprint = new StringBuilder();
        for (int c = 0; c < classes.Count; c++)
        {
            var classDir = labelled ? Path.Combine(real, classes[c]) : real;
            if (!PathSafety.IsInside(realRoot, PathSafety.RealPath(classDir)))
            {
                escapes.Add(classes[c] + "/");
                continue;
            }
            var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System, IgnoreInaccessible = false };
            foreach (var file in Directory.EnumerateFiles(classDir, "*", options))
            {
                if (!ImageExtensions.Contains(Path.GetExtension(file)) || Path.GetFileName(file).StartsWith('.')) continue;
                var rel = Path.GetRelativePath(real, file).Replace('\\', '/');
                if (!labelled && rel.Split('/').Any(segment => segment.StartsWith('.'))) continue;
                if (!PathSafety.IsInside(realRoot, PathSafety.RealPath(file)))
                {
                    escapes.Add(rel);
                    continue;
                }
                images.Add(new FolderImage(rel, file, c, SplitOf(rel)));
            }
        }
        if (escapes.Count > 0)
            throw new FolderDatasetException($"data.path '{relativePath}': {escapes.Count} entr{(escapes.Count == 1 ? "y" : "ies")} resolve outside the data root (symbolic links): {List(escapes)}");
        images.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        foreach (var image in images)
        {
            var info = new FileInfo(image.FullPath);
            fingerprint.Append(image.RelativePath).Append('|').Append(info.Length).Append('|').Append(info.LastWriteTimeUtc.Ticks).Append('\n');
        }
        foreach (var split in new[] { DataSplit.Train, DataSplit.Validation, DataSplit.Test })
            if (!images.Any(i => i.Split == split))
                throw new FolderDatasetException($"data.path '{relativePath}': the {split.MetricName()} split is empty ({images.Count} images in all; splits are 80/10/10 by path hash)");
        return new FolderDataset(relativePath, real, classes, images, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(fingerprint.ToString()))));
    }

    /// <summary>
    /// The split's first <paramref name="maxCount"/> images (all when null), decoded and resized to
    /// <paramref name="imageSize"/>. Every split is decoded together on first use, so an unreadable file anywhere
    /// fails before training starts.
    /// </summary>
    /// <param name="perClass">A few-label view: at most this many images per class, the first in <see cref="FolderSplits.ViewOrder"/>
    /// (so the view of 10 lies inside the view of 100); null for the whole split.</param>
    public ClassificationSplit Split(DataSplit split, int imageSize, int? maxCount, string domain, int? perClass = null) =>
        // One instance per request shape, so callers keyed by reference (the linear probe's feature cache) hit.
        _splits.GetOrAdd((split, imageSize, maxCount, domain, perClass), k => BuildSplit(k.Split, k.ImageSize, k.MaxCount, k.Domain, k.PerClass));

    private readonly ConcurrentDictionary<(DataSplit Split, int ImageSize, int? MaxCount, string Domain, int? PerClass), ClassificationSplit> _splits = new();

    /// <summary>Rows of a split in a few-label view: per class the <paramref name="perClass"/> images first in <see cref="FolderSplits.ViewOrder"/>, then in path order.</summary>
    public int[] ViewRows(int[] rows, int perClass) =>
        rows.GroupBy(r => Images[r].ClassIndex)
            .SelectMany(g => g.OrderBy(r => FolderSplits.ViewOrder(Images[r].RelativePath)).Take(perClass))
            .Order().ToArray();

    private ClassificationSplit BuildSplit(DataSplit split, int imageSize, int? maxCount, string domain, int? perClass)
    {
        var key = $"{RealPath}|{imageSize}|{Fingerprint}";
        var decoded = Cache.GetOrAdd(key, _ => new Lazy<Decoded>(() => Decode(imageSize))).Value;
        var rows = perClass is { } k ? ViewRows(decoded.Rows[(int)split], k) : decoded.Rows[(int)split];
        int count = Math.Min(rows.Length, maxCount ?? int.MaxValue);
        int e = 3 * imageSize * imageSize;
        var pixels = new float[(long)count * e];
        var labels = new int[count];
        var ids = new string[count];
        for (int i = 0; i < count; i++)
        {
            ids[i] = Images[rows[i]].RelativePath;
            Array.Copy(decoded.Pixels, (long)rows[i] * e, pixels, (long)i * e, e);
            labels[i] = Images[rows[i]].ClassIndex;
        }
        return new ClassificationSplit(domain, split, "folder", imageSize, pixels, labels, ids);
    }

    private Decoded Decode(int imageSize)
    {
        var clock = Stopwatch.StartNew();
        int e = 3 * imageSize * imageSize;
        if (Interlocked.Add(ref _cachedFloats, (long)Images.Count * e) > MaxCachedFloats)
        {
            Cache.Clear();
            Interlocked.Exchange(ref _cachedFloats, (long)Images.Count * e);
        }
        var pixels = new float[(long)Images.Count * e];
        var failures = new ConcurrentBag<string>();
        Parallel.For(0, Images.Count, i =>
        {
            try
            {
                ImageResize.Decode(File.ReadAllBytes(Images[i].FullPath), imageSize, pixels.AsSpan((int)((long)i * e), e));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                failures.Add($"{Images[i].RelativePath} ({ex.Message.Trim()})");
            }
        });
        if (!failures.IsEmpty)
        {
            var list = failures.Order(StringComparer.Ordinal).ToList();
            throw new FolderDatasetException($"data.path '{RelativePath}': {list.Count} unreadable image{(list.Count == 1 ? "" : "s")}: {List(list)}");
        }
        var rows = new int[3][];
        for (int s = 0; s < 3; s++) rows[s] = Enumerable.Range(0, Images.Count).Where(i => (int)Images[i].Split == s).ToArray();
        LastDecodeTime = clock.Elapsed;
        return new Decoded(pixels, rows);
    }

    /// <summary>The split of a relative path (<see cref="FolderSplits"/>).</summary>
    public static DataSplit SplitOf(string relativePath) => (DataSplit)FolderSplits.SplitIndexOf(relativePath);

    private static string List(IReadOnlyList<string> items) =>
        string.Join(", ", items.Take(20)) + (items.Count > 20 ? $", … and {items.Count - 20} more" : "");

    private sealed record Decoded(float[] Pixels, int[][] Rows);
}

/// <summary>One image of a folder dataset.</summary>
/// <param name="RelativePath">Path below the dataset folder, '/'-separated (<c>class/file.png</c>).</param>
public sealed record FolderImage(string RelativePath, string FullPath, int ClassIndex, DataSplit Split);

/// <summary>A folder dataset cannot be used: path outside the data root, too few classes or images, unreadable files.</summary>
public sealed class FolderDatasetException(string message) : ArgumentException(message);
