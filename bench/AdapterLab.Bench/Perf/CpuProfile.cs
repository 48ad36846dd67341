using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace AdapterLab.Bench.Perf;

/// <summary>
/// A CPU profile of a running .NET service: kernel CPU samples of its threads with managed stacks
/// (<c>dotnet-trace collect-linux --profile cpu-sampling</c>, the repository's pinned tool), reduced to the methods on the
/// sampled stacks most often (<c>dotnet-trace report topN --inclusive</c>). Needs root (perf events); null with the
/// reason when it cannot be taken.
/// </summary>
public static partial class CpuProfile
{
    /// <summary>One method and the share of CPU samples that had it on the stack.</summary>
    public sealed record Frame(string Method, double InclusivePercent);

    public static async Task<(List<Frame>? Frames, string? Why)> TakeAsync(int pid, TimeSpan duration, string traceFile, int top, CancellationToken ct)
    {
        var root = Environment.GetEnvironmentVariable("ADAPTERLAB_REPO_ROOT") ?? Directory.GetCurrentDirectory();
        var (restored, restoreOut) = await RunAsync(root, ["tool", "restore"], TimeSpan.FromMinutes(5), ct);
        if (!restored) return (null, "dotnet tool restore failed: " + Last(restoreOut));
        var d = duration;
        var (collected, collectOut) = await RunAsync(root, ["tool", "run", "dotnet-trace", "--", "collect-linux", "-p", pid.ToString(CultureInfo.InvariantCulture),
            "--profile", "cpu-sampling", "--duration", $"00:{d.Hours:00}:{d.Minutes:00}:{d.Seconds:00}", "-o", traceFile], duration + TimeSpan.FromMinutes(3), ct);
        if (!collected || !File.Exists(traceFile)) return (null, "dotnet-trace collect-linux failed (it needs root for perf events): " + Last(collectOut));
        var (reported, report) = await RunAsync(root, ["tool", "run", "dotnet-trace", "--", "report", traceFile, "topN", "-n", top.ToString(CultureInfo.InvariantCulture), "--inclusive", "-v"],
            TimeSpan.FromMinutes(3), ct);
        if (!reported) return (null, "dotnet-trace report failed: " + Last(report));
        // An entry's first line ends with its two percentages; a long name wraps onto the lines after it.
        var frames = new List<Frame>();
        string? name = null;
        double share = 0;
        foreach (var line in report.Split('\n'))
        {
            var m = ReportLine().Match(line);
            if (m.Success)
            {
                if (name is not null) frames.Add(new Frame(name, share));
                name = m.Groups[1].Value.Trim();
                share = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            }
            else if (name is not null && line.StartsWith("    ", StringComparison.Ordinal) && line.Trim().Length > 0) name += line.Trim();
        }
        if (name is not null) frames.Add(new Frame(name, share));
        return frames.Count > 0 ? (frames, null) : (null, "the report listed no methods: " + Last(report));
    }

    // "12. SomeType.Method(args)        45.5%      0%"
    [GeneratedRegex(@"^\s*\d+\.\s+(.+?)\s+([0-9.]+)%\s+[0-9.]+%\s*$")]
    private static partial Regex ReportLine();

    private static string Last(string output) => string.Join(" | ", output.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(3));

    private static async Task<(bool Ok, string Output)> RunAsync(string workingDirectory, string[] args, TimeSpan timeout, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            return (false, "timed out");
        }
        return (p.ExitCode == 0, await stdout + await stderr);
    }
}
