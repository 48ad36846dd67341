using System.Text.Json;
using System.Text.Json.Serialization;

namespace AdapterLab.Contracts.Folders;

/// <summary>
/// What an imported dataset is and where it came from, written by the importer beside the images
/// (<c>&lt;data root&gt;/&lt;name&gt;/adapterlab-dataset.json</c>) and shown by the dashboard's datasets page: the package
/// it was converted from (registry, name, version, the registry's integrity hash), its licence, its classes with
/// their image counts, and the split counts (the test split: images no training run reads).
/// </summary>
public sealed record DatasetManifest
{
    public const string FileName = "adapterlab-dataset.json";
    public const string CurrentFormat = "adapterlab-dataset-1";

    public string Format { get; init; } = CurrentFormat;
    public required string Name { get; init; }
    public required string Description { get; init; }
    public required DatasetSource Source { get; init; }
    public required string Licence { get; init; }
    public required DateTimeOffset ImportedAt { get; init; }
    public required int ImageSize { get; init; }
    public required IReadOnlyList<DatasetClass> Classes { get; init; }
    public required int Images { get; init; }
    public required DatasetSplitCounts Splits { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The manifest in <paramref name="folder"/>, or null when it has none or it does not parse.</summary>
    public static DatasetManifest? TryRead(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            var info = new FileInfo(path);
            if (info.Length > 1 << 20) return null;
            var m = JsonSerializer.Deserialize<DatasetManifest>(File.ReadAllText(path), Json);
            return m?.Format == CurrentFormat ? m : null;
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return null;
        }
    }
}

/// <param name="Registry"><c>npm</c> (or <c>debian</c>).</param>
/// <param name="Integrity">The registry's integrity string of the package file (npm: <c>sha512-…</c>), checked by the client on download.</param>
public sealed record DatasetSource(string Registry, string Package, string Version, string Integrity, string Homepage);

public sealed record DatasetClass(string Name, int Images);

/// <param name="Test">Images in the test split, which no training run reads (splits by path hash, <see cref="FolderSplits"/>).</param>
public sealed record DatasetSplitCounts(int Train, int Validation, int Test);
