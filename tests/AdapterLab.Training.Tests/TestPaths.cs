namespace AdapterLab.Training.Tests;

/// <summary>Locates shared fixtures relative to the repository (the directory holding Platform.sln).</summary>
public static class TestPaths
{
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) return dir.FullName;
            throw new DirectoryNotFoundException($"no Platform.sln above {AppContext.BaseDirectory}");
        }
    }

    public static string VitGolden => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data", "vit-golden"));

    public static string TempDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "adapterlab-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
