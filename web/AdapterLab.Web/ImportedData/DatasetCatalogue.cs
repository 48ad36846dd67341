using AdapterLab.Contracts.Folders;

namespace AdapterLab.Web.ImportedData;

/// <summary>An imported dataset as the dashboard lists it: its manifest and the <c>data.path</c> that uses it.</summary>
public sealed record DatasetView(string Path, DatasetManifest Manifest);

/// <summary>
/// The imported datasets under <c>Platform:DataRoot</c>: every folder up to two levels down that holds a
/// <see cref="DatasetManifest"/> (written by <c>./platform data import</c>). Folders without one are users' own and
/// are not listed. Read on request: the importer may add datasets while the web runs.
/// </summary>
public sealed class DatasetCatalogue(IConfiguration configuration)
{
    public IReadOnlyList<DatasetView> List()
    {
        var root = configuration["Platform:DataRoot"];
        if (string.IsNullOrWhiteSpace(root) || !Directory.Exists(root)) return [];
        var found = new List<DatasetView>();
        var options = new EnumerationOptions { AttributesToSkip = FileAttributes.Hidden | FileAttributes.System | FileAttributes.ReparsePoint, IgnoreInaccessible = true };
        foreach (var dir in Directory.EnumerateDirectories(root, "*", options))
        {
            Add(root, dir, found);
            foreach (var sub in Directory.EnumerateDirectories(dir, "*", options)) Add(root, sub, found);
        }
        return found.OrderBy(d => d.Path, StringComparer.Ordinal).ToList();
    }

    /// <summary>Whether the data root is configured at all (folder datasets are disabled otherwise).</summary>
    public bool Configured => !string.IsNullOrWhiteSpace(configuration["Platform:DataRoot"]);

    private static void Add(string root, string dir, List<DatasetView> found)
    {
        if (Path.GetFileName(dir).StartsWith('.')) return;
        if (DatasetManifest.TryRead(dir) is { } manifest)
            found.Add(new DatasetView(Path.GetRelativePath(root, dir).Replace('\\', '/'), manifest));
    }
}
