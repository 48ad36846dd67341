namespace AdapterLab.IntegrationTests.Infrastructure;

/// <summary>The repository root: the nearest ancestor of the test binaries that holds Platform.sln.</summary>
public static class RepoRoot
{
    public static string Path { get; } = Find();

#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Platform.sln"))) return dir.FullName;
        throw new InvalidOperationException("Platform.sln not found above " + AppContext.BaseDirectory);
    }
}
