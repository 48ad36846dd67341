using AdapterLab.IntegrationTests.Infrastructure;

namespace AdapterLab.IntegrationTests.Cluster;

/// <summary>
/// An agent on an offline GPU host loads libtorch from an installation (<c>ADAPTERLAB_LIBTORCH_DIR</c>) instead of
/// its packaged copy — tested by copying the packaged CPU libtorch to another folder (hard links) and pointing the real
/// agent binary at it; an installation of another release is refused with a message naming both versions.
/// </summary>
public sealed class LibTorchDirectoryTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "adapterlab-libtorch-" + Guid.NewGuid().ToString("N")[..8]);

    private async Task<string> InstallAsync(string version)
    {
        var lib = Path.Combine(_root, "libtorch", "lib");
        Directory.CreateDirectory(lib);
        var packaged = Path.GetDirectoryName(AgentProcess.AgentDll)!;
        foreach (var so in Directory.GetFiles(packaged, "lib*.so*").Where(f => !Path.GetFileName(f).StartsWith("libLibTorchSharp", StringComparison.Ordinal)))
        {
            var target = Path.Combine(lib, Path.GetFileName(so));
            // Hard links: the same bytes under another path, without copying 460 MB.
            if ((await Commands.RunAsync("ln", [so, target])).ExitCode != 0) File.Copy(so, target);
        }
        File.WriteAllText(Path.Combine(_root, "libtorch", "build-version"), version + "\n");
        return Path.Combine(_root, "libtorch");
    }

    [Fact]
    public async Task The_agent_runs_on_an_installed_libtorch_of_its_release()
    {
        var dir = await InstallAsync("2.10.0+cpu");
        await using var agent = AgentProcess.Start("libtorch-" + Guid.NewGuid().ToString("N")[..6], new Dictionary<string, string?> { ["ADAPTERLAB_LIBTORCH_DIR"] = dir });
        await Eventually.TrueAsync(() => Task.FromResult(agent.Log.Contains("Using libtorch") || agent.HasExited), TimeSpan.FromSeconds(60), () => agent.Log);
        Assert.Contains($"Using libtorch 2.10.0+cpu from {Path.Combine(dir, "lib")} (TorchSharp initialised against it)", agent.Log);
    }

    [Fact]
    public async Task An_installation_of_another_release_is_refused()
    {
        var dir = await InstallAsync("2.11.0+cu128");
        await using var agent = AgentProcess.Start("libtorch-" + Guid.NewGuid().ToString("N")[..6], new Dictionary<string, string?> { ["ADAPTERLAB_LIBTORCH_DIR"] = dir });
        Assert.True(await agent.WaitForExitAsync(TimeSpan.FromSeconds(60)), agent.Log);
        Assert.Equal(3, agent.ExitCode);
        Assert.Contains($"ADAPTERLAB_LIBTORCH_DIR={dir} holds libtorch 2.11.0+cu128, but this agent's TorchSharp is built for libtorch 2.10.x", agent.Log);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
