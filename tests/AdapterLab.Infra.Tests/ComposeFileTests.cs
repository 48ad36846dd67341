using System.Diagnostics;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace AdapterLab.Infra.Tests;

/// <summary>No Docker engine runs here, so the container deployment is checked statically: the compose file parses and
/// names every service, and every project a Dockerfile builds really publishes.</summary>
public sealed partial class ComposeFileTests
{
    private static YamlMappingNode Services()
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(RepoRoot.Path, "docker-compose.yml"));
        yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        return (YamlMappingNode)root.Children[new YamlScalarNode("services")];
    }

    [Fact]
    public void Compose_file_parses_and_has_every_part_of_the_platform()
    {
        var names = Services().Children.Keys.Select(k => ((YamlScalarNode)k).Value).ToHashSet();
        foreach (var required in new[] { "postgres", "rabbitmq", "web", "orchestrator", "gpu-agent" })
            Assert.Contains(required, names);
    }

    [Fact]
    public void Every_built_service_points_at_an_existing_dockerfile()
    {
        foreach (var (name, node) in Services().Children.Select(kv => (((YamlScalarNode)kv.Key).Value, (YamlMappingNode)kv.Value)))
        {
            if (!node.Children.TryGetValue(new YamlScalarNode("build"), out var build)) continue;
            var dockerfile = ((YamlMappingNode)build).Children[new YamlScalarNode("dockerfile")].ToString();
            Assert.True(File.Exists(Path.Combine(RepoRoot.Path, dockerfile)), $"{name}: {dockerfile} does not exist");
        }
    }

    [GeneratedRegex(@"dotnet publish\s+(\S+\.csproj)")]
    private static partial Regex PublishLine();

    public static TheoryData<string> Dockerfiles() =>
        new(Directory.GetFiles(Path.Combine(RepoRoot.Path, "infra", "docker"), "*.Dockerfile").Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public async Task The_project_a_dockerfile_builds_publishes(string dockerfile)
    {
        var text = File.ReadAllText(Path.Combine(RepoRoot.Path, "infra", "docker", dockerfile));
        var project = PublishLine().Match(text);
        Assert.True(project.Success, $"{dockerfile} has no 'dotnet publish <project>.csproj' step");
        var csproj = Path.Combine(RepoRoot.Path, project.Groups[1].Value);
        Assert.True(File.Exists(csproj), $"{dockerfile} publishes {csproj}, which does not exist");

#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        // The solution is already built (./platform test builds it first): publishing without a rebuild checks that the
        // project's publish step works and produces its entry assembly, in seconds.
        var output = Directory.CreateTempSubdirectory("adapterlab-publish-");
        try
        {
            var psi = new ProcessStartInfo("dotnet", ["publish", csproj, "-c", configuration, "--no-build", "--nologo", "-o", output.FullName])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await p.WaitForExitAsync(timeout.Token);
            Assert.True(p.ExitCode == 0, $"publish of {csproj} failed:\n{await stdout}\n{await stderr}");
            var dll = Path.GetFileNameWithoutExtension(csproj) + ".dll";
            Assert.True(File.Exists(Path.Combine(output.FullName, dll)), $"{dll} missing from the publish output");
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }
}
