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

    [Fact]
    public void The_gpu_agent_reserves_a_device_builds_the_cuda_image_and_drains_in_time()
    {
        var services = Services();
        var gpu = (YamlMappingNode)services.Children[new YamlScalarNode("gpu-agent-cuda")];
        var args = (YamlMappingNode)((YamlMappingNode)gpu["build"])["args"];
        Assert.Equal("cuda", args["TORCH_BACKEND"].ToString());
        var device = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)((YamlMappingNode)gpu["deploy"])["resources"])["reservations"])["devices"]).Children.Single();
        Assert.Equal("nvidia", device["driver"].ToString());
        Assert.Contains("gpu", ((YamlSequenceNode)device["capabilities"]).Children.Select(c => c.ToString()));
        Assert.Equal("gpu", ((YamlSequenceNode)gpu["profiles"]).Children.Single().ToString());

        var dockerfile = File.ReadAllText(Path.Combine(RepoRoot.Path, "infra", "docker", "gpu-agent.Dockerfile"));
        Assert.Contains("ARG TORCH_BACKEND=cpu", dockerfile);
        Assert.Contains("-p:TorchBackend=${TORCH_BACKEND}", dockerfile);

        // The agent drains for up to 60 s (Agent:DrainSeconds) and its host allows 20 s more: compose must wait longer.
        foreach (var name in new[] { "gpu-agent", "gpu-agent-cuda" })
        {
            var grace = ((YamlMappingNode)services.Children[new YamlScalarNode(name)])["stop_grace_period"].ToString();
            Assert.True(int.Parse(grace.TrimEnd('s')) > 80, $"{name}: stop_grace_period {grace} is shorter than a drain");
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
