using System.Diagnostics;
using System.Text.Json;

namespace AdapterLab.Infra.Tests;

/// <summary>
/// The benchmark is not part of the test suite; this only checks that its cheapest scenario (perf-micro: in-process
/// matmul and transformer-block microbenchmarks, no platform needed) runs with <c>--quick</c> and writes valid JSON
/// and the markdown summary.
/// </summary>
public sealed class BenchSmokeTests
{
    [Fact]
    public async Task Quick_perf_micro_runs_and_writes_valid_json()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
        var benchDir = Path.Combine(RepoRoot.Path, "bench", "AdapterLab.Bench");
        var dll = Path.Combine(benchDir, "bin", configuration, "net10.0", "linux-x64", "AdapterLab.Bench.dll");
        if (!File.Exists(dll))
        {
            // Built with the solution normally; build it here when the test runs on its own.
            var build = await Commands.RunAsync("dotnet", ["build", Path.Combine(benchDir, "AdapterLab.Bench.csproj"), "-c", configuration, "--nologo"], null, TimeSpan.FromMinutes(5));
            Assert.True(build.ExitCode == 0, $"bench build failed:\n{build.Output}");
        }
        var results = Directory.CreateTempSubdirectory("adapterlab-bench-smoke-");
        try
        {
            var env = new Dictionary<string, string?>
            {
                ["ADAPTERLAB_BENCH_RESULTS"] = results.FullName,
                ["ADAPTERLAB_API_KEY"] = null, // must not be needed by an in-process scenario
            };
            var run = await Commands.RunAsync("dotnet", [dll, "perf-micro", "--quick"], env, TimeSpan.FromSeconds(90));
            Assert.True(run.ExitCode == 0, $"perf-micro --quick failed ({run.ExitCode}):\n{run.Output}");

            var json = Path.Combine(results.FullName, "perf-micro.json");
            Assert.True(File.Exists(json), "perf-micro.json was not written");
            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(json));
            var root = doc.RootElement;
            Assert.Equal("perf-micro", root.GetProperty("scenario").GetString());
            Assert.True(root.GetProperty("quick").GetBoolean());
            Assert.Equal(JsonValueKind.Object, root.GetProperty("machine").ValueKind);
            var figures = root.GetProperty("figures");
            Assert.True(figures.GetArrayLength() >= 2);
            foreach (var f in figures.EnumerateArray())
            {
                var value = f.GetProperty("value");
                Assert.True(value.ValueKind == JsonValueKind.Number && value.GetDouble() > 0, $"figure {f.GetProperty("name")} has no positive value");
            }
            Assert.True(File.Exists(Path.Combine(results.FullName, "perf-summary.md")), "perf-summary.md was not written");
        }
        finally
        {
            results.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Command-line manners: a stopped platform or a refused key is one line saying what to do, exit 1 — never a stack trace.
    /// </summary>
    [Fact]
    public async Task The_client_fails_in_one_line_when_the_platform_is_down_or_refuses_the_key()
    {
        var dll = await BenchDllAsync();
        // Nothing listens on this port.
        var free = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        free.Start();
        int port = ((System.Net.IPEndPoint)free.LocalEndpoint).Port;
        free.Stop();
        var down = await Commands.RunAsync("dotnet", [dll, "demo"], new Dictionary<string, string?> { ["ADAPTERLAB_API_URL"] = $"http://127.0.0.1:{port}", ["ADAPTERLAB_API_KEY"] = "k" }, TimeSpan.FromSeconds(60));
        Assert.Equal(1, down.ExitCode);
        Assert.Contains("cannot reach the platform", down.Output);
        Assert.DoesNotContain("   at ", down.Output);

        // A server that refuses every key.
        using var listener = new System.Net.HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var serve = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                System.Net.HttpListenerContext ctx;
                try { ctx = await listener.GetContextAsync(); } catch { return; }
                ctx.Response.StatusCode = 401;
                ctx.Response.ContentType = "application/problem+json";
                var body = System.Text.Encoding.UTF8.GetBytes("{\"title\":\"Unauthorized\",\"status\":401}");
                await ctx.Response.OutputStream.WriteAsync(body);
                ctx.Response.Close();
            }
        });
        var refused = await Commands.RunAsync("dotnet", [dll, "adapters", "--quick"], new Dictionary<string, string?> { ["ADAPTERLAB_API_URL"] = $"http://127.0.0.1:{port}", ["ADAPTERLAB_API_KEY"] = "wrong" }, TimeSpan.FromSeconds(60));
        listener.Stop();
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("HTTP 401", refused.Output);
        Assert.Contains("does not accept this API key", refused.Output);
        Assert.DoesNotContain("   at ", refused.Output);
    }

    internal static async Task<string> BenchDllAsync()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
        var benchDir = Path.Combine(RepoRoot.Path, "bench", "AdapterLab.Bench");
        var dll = Path.Combine(benchDir, "bin", configuration, "net10.0", "linux-x64", "AdapterLab.Bench.dll");
        if (!File.Exists(dll))
        {
            var build = await Commands.RunAsync("dotnet", ["build", Path.Combine(benchDir, "AdapterLab.Bench.csproj"), "-c", configuration, "--nologo"], null, TimeSpan.FromMinutes(5));
            Assert.True(build.ExitCode == 0, $"bench build failed:\n{build.Output}");
        }
        return dll;
    }
}
