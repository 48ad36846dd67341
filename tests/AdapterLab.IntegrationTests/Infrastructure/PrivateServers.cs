using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AdapterLab.IntegrationTests.Infrastructure;

/// <summary>
/// A PostgreSQL and a RabbitMQ of the test's own, on free ports under a temporary folder (started with
/// <c>./platform servers</c>, the same scripts as the real platform), so fault-injection tests can stop and restart them
/// without touching the user's platform or other tests.
/// </summary>
public sealed class PrivateServers : IAsyncDisposable
{
    private readonly Dictionary<string, string> _env;

    private PrivateServers(Dictionary<string, string> env, TestServers servers)
    {
        _env = env;
        Servers = servers;
    }

    public TestServers Servers { get; }

    public static async Task<PrivateServers> StartAsync()
    {
        var dir = Directory.CreateTempSubdirectory("adapterlab-faults-").FullName;
        // PostgreSQL runs as the postgres user, which must be able to reach its data folder inside this one.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                                  | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var env = new Dictionary<string, string>
        {
            ["ADAPTERLAB_LOCAL_DIR"] = dir,
            ["ADAPTERLAB_PG_PORT"] = FreePort().ToString(),
            ["ADAPTERLAB_AMQP_PORT"] = FreePort().ToString(),
            ["ADAPTERLAB_RABBIT_MGMT_PORT"] = FreePort().ToString(),
            ["ADAPTERLAB_RABBIT_DIST_PORT"] = FreePort().ToString(),
            ["ADAPTERLAB_EPMD_PORT"] = FreePort().ToString(),
        };
        string output;
        try
        {
            output = await RunAsync(env, "up");
        }
        catch
        {
            // A half-started pair must not outlive the test run.
            try { await RunAsync(env, "down"); } catch (InvalidOperationException) { } catch (OperationCanceledException) { }
            throw;
        }
        var vars = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2)).Where(p => p.Length == 2 && p[0].StartsWith("ADAPTERLAB_TEST_", StringComparison.Ordinal))
            .ToDictionary(p => p[0], p => p[1]);
        return new PrivateServers(env, TestServers.FromVariables(n => vars.GetValueOrDefault(n)));
    }

    public Task StopRabbitAsync() => RunAsync(_env, "stop-rabbit");
    public Task StartRabbitAsync() => RunAsync(_env, "start-rabbit");
    public Task StopPostgresAsync() => RunAsync(_env, "stop-pg");
    public Task StartPostgresAsync() => RunAsync(_env, "start-pg");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync(_env, "down");
        }
        finally
        {
            try { Directory.Delete(_env["ADAPTERLAB_LOCAL_DIR"], recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    // Generous: a first start on a busy 2-core machine (initdb, RabbitMQ boot) has taken over a minute.
    private static Task<string> RunAsync(Dictionary<string, string> env, string verb) =>
        Commands.RunCheckedAsync(Path.Combine(RepoRoot.Path, "platform"), ["servers", verb], env, TimeSpan.FromMinutes(6));

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
