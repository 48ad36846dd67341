namespace AdapterLab.IntegrationTests.Web;

/// <summary>The deliberately invalid specs in <c>examples/specs/invalid</c>, each with the field its <c>.expected</c> file names.</summary>
public static class InvalidSpecFiles
{
    public static string Directory { get; } = Path.Combine(FindRoot(), "examples", "specs", "invalid");

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var f in System.IO.Directory.GetFiles(Directory, "*.json").Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(f));
        return data;
    }

    public static (string Json, string ExpectedField) Load(string name)
    {
        var path = Path.Combine(Directory, name);
        return (File.ReadAllText(path), File.ReadAllText(Path.ChangeExtension(path, ".expected")).Trim());
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) return dir.FullName;
        throw new InvalidOperationException($"Platform.sln not found above {AppContext.BaseDirectory}");
    }
}
