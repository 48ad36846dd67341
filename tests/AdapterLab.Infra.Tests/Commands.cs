using System.Diagnostics;

namespace AdapterLab.Infra.Tests;

/// <summary>Runs a command from the repository root and collects what it printed (the one way these tests run tools).</summary>
internal static class Commands
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string Output => Stdout + "\n" + Stderr;
    }

    /// <summary><paramref name="env"/>: variables to set (a null value removes one); on <paramref name="timeout"/> the process tree is killed (exit code -1).</summary>
    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, IDictionary<string, string?>? env = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoRoot.Path };
        foreach (var (k, v) in env ?? new Dictionary<string, string?>())
            if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            return new Result(-1, await stdout, $"timed out after {timeout}\n{await stderr}");
        }
        return new Result(p.ExitCode, await stdout, await stderr);
    }
}
