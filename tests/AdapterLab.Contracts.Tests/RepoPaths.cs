namespace AdapterLab.Contracts.Tests;

/// <summary>Locates files of the repository the tests run from (the folder holding Platform.sln).</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string InvalidSpecs => Path.Combine(Root, "examples", "specs", "invalid");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) return dir.FullName;
        throw new InvalidOperationException($"Platform.sln not found above {AppContext.BaseDirectory}");
    }
}
