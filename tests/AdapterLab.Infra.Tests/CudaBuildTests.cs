using System.Text.Json;

namespace AdapterLab.Infra.Tests;

/// <summary>
/// The CUDA build (<c>-p:TorchBackend=cuda</c>) cannot be restored here (TorchSharp-cuda-linux is not served on this
/// registry), so its package graph is checked by evaluation: every package a project references under either backend
/// has a central <c>PackageVersion</c> (the NU1010 that broke the CUDA build), the CUDA build asks for the CUDA package
/// and not the CPU one, and both are pinned to the same TorchSharp release.
/// </summary>
public sealed class CudaBuildTests
{
    public static TheoryData<string, string> ProjectsAndBackends()
    {
        var data = new TheoryData<string, string>();
        foreach (var csproj in Directory.EnumerateFiles(RepoRoot.Path, "*.csproj", SearchOption.AllDirectories)
                     .Where(p => !p.Contains("/bin/") && !p.Contains("/obj/") && File.ReadAllText(p).Contains("TorchBackend")))
        {
            foreach (var backend in new[] { "cpu", "cuda" })
                data.Add(Path.GetRelativePath(RepoRoot.Path, csproj), backend);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ProjectsAndBackends))]
    public async Task Every_package_the_backend_references_has_a_pinned_version(string project, string backend)
    {
        var (references, versions) = await EvaluateAsync(project, backend);
        foreach (var package in references)
            Assert.True(versions.ContainsKey(package), $"{project} with TorchBackend={backend} references {package}, which has no PackageVersion in Directory.Packages.props (restore fails with NU1010)");

        var torch = references.Where(r => r.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase)).ToList();
        var expected = backend == "cuda" ? "TorchSharp-cuda-linux" : "TorchSharp-cpu";
        Assert.Equal([expected], torch);
        Assert.Equal(versions["TorchSharp-cpu"], versions["TorchSharp-cuda-linux"]);
        Assert.Equal(versions["TorchSharp-cpu"], versions["TorchSharp"]);
    }

    [Fact]
    public async Task An_unknown_backend_is_refused_at_build_time()
    {
        var result = await Commands.RunAsync("dotnet", ["msbuild", "gpu-agent/AdapterLab.Training/AdapterLab.Training.csproj", "-t:CheckTorchBackend", "-p:TorchBackend=rocm"]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("TorchBackend", result.Output);
    }

    private static async Task<(List<string> References, Dictionary<string, string> Versions)> EvaluateAsync(string project, string backend)
    {
        var result = await Commands.RunAsync("dotnet", ["msbuild", project, "-getItem:PackageReference", "-getItem:PackageVersion", $"-p:TorchBackend={backend}"]);
        Assert.True(result.ExitCode == 0, result.Output);
        using var json = JsonDocument.Parse(result.Stdout);
        var items = json.RootElement.GetProperty("Items");
        var references = items.GetProperty("PackageReference").EnumerateArray()
            .Where(i => !(i.TryGetProperty("IsImplicitlyDefined", out var implicitly) && implicitly.GetString() == "true"))
            .Select(i => i.GetProperty("Identity").GetString()!).ToList();
        var versions = items.GetProperty("PackageVersion").EnumerateArray()
            .ToDictionary(i => i.GetProperty("Identity").GetString()!, i => i.GetProperty("Version").GetString()!, StringComparer.OrdinalIgnoreCase);
        return (references, versions);
    }
}
