using System.Diagnostics;

namespace AdapterLab.IntegrationTests.Infrastructure;

/// <summary>Runs a command to completion and collects what it printed (the one way these tests run short-lived tools).</summary>
public static class Commands
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoRoot.Path };
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(cts.Token);
        return new Result(p.ExitCode, await stdout, await stderr);
    }

    /// <summary>As <see cref="RunAsync"/>, failing with the command and its error output unless it exits 0; returns its output.</summary>
    public static async Task<string> RunCheckedAsync(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var list = args.ToList();
        var r = await RunAsync(file, list, env, timeout);
        if (r.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', list)} failed ({r.ExitCode}): {r.Stderr.Trim()}");
        return r.Stdout;
    }
}
