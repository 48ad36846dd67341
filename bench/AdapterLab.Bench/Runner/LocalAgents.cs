using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AdapterLab.Bench.Runner;

/// <summary>One gpu-agent process of the local platform: <c>.local/run/agent-N.pid</c> and the port its log names.</summary>
public sealed record AgentProcess(int Number, int Pid, int Port)
{
    public string Label => $"agent-{Number} (pid {Pid})";
}

/// <summary>One attempt an agent process says it is running (its own registry, from <c>GET /</c>).</summary>
public sealed record AgentAttempt(Guid ExperimentId, int AttemptNumber, long Step);

/// <summary>
/// The local launcher's gpu-agents, seen from outside: which processes live (pid files under the run folder), what each
/// is running (its health port's <c>GET /</c>), <c>kill -9</c>, and <c>./platform agent --detach</c> to start one more
/// (it takes the first free agent number, so a killed agent comes back under its own id).
/// </summary>
public sealed partial class LocalAgents : IDisposable
{
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(2) };

    public LocalAgents(string repoRoot, string runDir)
    {
        RepoRoot = repoRoot;
        RunDir = runDir;
        LogDir = Path.Combine(Path.GetDirectoryName(runDir.TrimEnd('/'))!, "logs");
    }

    public string RepoRoot { get; }
    public string RunDir { get; }
    public string LogDir { get; }

    /// <summary>From the environment <c>./platform bench</c> sets (ADAPTERLAB_REPO_ROOT, ADAPTERLAB_RUN_DIR).</summary>
    public static LocalAgents FromEnvironment()
    {
        var runDir = Environment.GetEnvironmentVariable("ADAPTERLAB_RUN_DIR")
                     ?? throw new InvalidOperationException("ADAPTERLAB_RUN_DIR is not set (./platform bench sets it)");
        var root = Environment.GetEnvironmentVariable("ADAPTERLAB_REPO_ROOT") ?? Directory.GetCurrentDirectory();
        if (!File.Exists(Path.Combine(root, "platform"))) throw new InvalidOperationException($"no ./platform launcher in {root} (ADAPTERLAB_REPO_ROOT)");
        return new LocalAgents(root, runDir);
    }

    [GeneratedRegex(@"^agent-(\d+)\.pid$")]
    private static partial Regex PidFile();

    [GeneratedRegex(@"on http://127\.0\.0\.1:(\d+)")]
    private static partial Regex LogPort();

    /// <summary>The live agent processes, by number.</summary>
    public List<AgentProcess> Live()
    {
        var agents = new List<AgentProcess>();
        foreach (var file in Directory.GetFiles(RunDir, "agent-*.pid"))
        {
            var m = PidFile().Match(Path.GetFileName(file));
            if (!m.Success) continue;
            int number = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (!int.TryParse(SafeRead(file)?.Trim(), out var pid) || !IsAgent(pid)) continue;
            var firstLine = SafeRead(Path.Combine(LogDir, $"agent-{number}.log"))?.Split('\n', 2)[0] ?? "";
            var port = LogPort().Match(firstLine);
            if (!port.Success) continue;
            agents.Add(new AgentProcess(number, pid, int.Parse(port.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)));
        }
        return agents.OrderBy(a => a.Number).ToList();
    }

    /// <summary>A file in an attempt's work folder (<c>agent-work/&lt;agent id&gt;/&lt;experiment&gt;-&lt;attempt&gt;/</c>), or null.</summary>
    public string? AttemptFile(Guid experimentId, int attemptNumber, string name)
    {
        var work = Path.Combine(Path.GetDirectoryName(RunDir.TrimEnd('/'))!, "agent-work");
        if (!Directory.Exists(work)) return null;
        foreach (var agentDir in Directory.EnumerateDirectories(work))
        {
            var file = Path.Combine(agentDir, $"{experimentId:N}-{attemptNumber}", name);
            if (File.Exists(file)) return file;
        }
        return null;
    }

    /// <summary>What the process runs now, from its own registry; null when it does not answer (dead, starting, stalled).</summary>
    public async Task<IReadOnlyList<AgentAttempt>?> RunningAsync(AgentProcess agent, CancellationToken ct)
    {
        try
        {
            var doc = await http.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{agent.Port}/", ct);
            if (!doc.TryGetProperty("running", out var running)) return null;
            return running.EnumerateArray()
                .Select(r => new AgentAttempt(r.GetProperty("experimentId").GetGuid(), r.GetProperty("attemptNumber").GetInt32(), r.GetProperty("step").GetInt64()))
                .ToList();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return null;
        }
    }

    /// <summary>SIGKILL, no warning (the process gets no chance to report or checkpoint).</summary>
    public static void Kill9(AgentProcess agent)
    {
        try
        {
            using var p = Process.GetProcessById(agent.Pid);
            p.Kill(entireProcessTree: false); // SIGKILL on Unix
            p.WaitForExit(10_000);
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
    }

    /// <summary>SIGTERM: the agent's orderly shutdown (interrupts its attempts, announces it is stopping).</summary>
    public static void Terminate(AgentProcess agent)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", agent.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
        try
        {
            using var p = Process.GetProcessById(agent.Pid);
            p.WaitForExit(60_000);
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
    }

    /// <summary>
    /// <c>./platform agent --detach</c>: starts the first free agent number and returns once it answers
    /// <c>/health/ready</c>. Returns how long that took and the launcher's output.
    /// </summary>
    public async Task<(TimeSpan Took, string Output)> StartAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var psi = new ProcessStartInfo("bash", [Path.Combine(RepoRoot, "platform"), "agent", "--detach"])
        {
            WorkingDirectory = RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(5));
        await p.WaitForExitAsync(timeout.Token);
        var output = (await stdout) + (await stderr);
        if (p.ExitCode != 0) throw new InvalidOperationException($"./platform agent --detach failed ({p.ExitCode}):\n{output}");
        return (clock.Elapsed, output);
    }

    private static bool IsAgent(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains("AdapterLab.GpuAgent.dll", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string? SafeRead(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose() => http.Dispose();
}
