using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace AdapterLab.IntegrationTests.Infrastructure;

/// <summary>A gpu-agent in a process of its own (the real build output), so a test can kill it with SIGKILL.</summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private AgentProcess(Process process, string id)
    {
        _process = process;
        Id = id;
        process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Id { get; }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>The agent's build output.</summary>
    public static string AgentDll { get; } = Path.Combine(RepoRoot.Path, "gpu-agent", "AdapterLab.GpuAgent", "bin", RepoRoot.Configuration, "net10.0", "linux-x64", "AdapterLab.GpuAgent.dll");

    /// <summary>Starts the agent; <paramref name="prefix"/> runs it through another command (e.g. <c>ip netns exec</c>, <see cref="NetworkHost"/>).</summary>
    public static AgentProcess Start(string id, IReadOnlyDictionary<string, string?> settings, string[]? prefix = null)
    {
        var dll = AgentDll;
        if (!File.Exists(dll)) throw new FileNotFoundException("build the solution first: the agent binary is missing", dll);
        string[] command = [.. prefix ?? [], "dotnet", dll];
        var psi = new ProcessStartInfo(command[0], command[1..])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        // Configuration keys become environment variables (Section:Key → Section__Key).
        foreach (var (k, v) in settings) psi.Environment[k.Replace(":", "__")] = v;
        psi.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        return new AgentProcess(Process.Start(psi)!, id);
    }

    /// <summary>SIGTERM, as Kubernetes or systemd stop a process: the agent drains (checkpoints and hands its attempts back) and exits.</summary>
    public void Terminate()
    {
        if (!_process.HasExited && Kill(_process.Id, 15) != 0)
            throw new InvalidOperationException($"kill -TERM {_process.Id} failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Waits for the process to end by itself; false when it is still running after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>SIGKILL: no shutdown hooks, no goodbye message, exactly like a crashed machine.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
