using System.Globalization;
using System.Text.RegularExpressions;

namespace AdapterLab.Bench.Perf;

/// <summary>
/// The local platform's orchestrator log (<c>.local/logs/orchestrator.log</c>, beside the run folder): its
/// "Dispatch pass placed N of M queued in X ms (read …, resolve …, plan …, write …, send …)" lines are the scheduler's
/// own timings, phase by phase.
/// </summary>
public static partial class OrchestratorLog
{
    /// <summary>One logged dispatch pass: its total and, when logged, its phases (ms).</summary>
    public sealed record Pass(int Placed, int Queued, double TotalMs, double? ReadMs, double? ResolveMs, double? PlanMs, double? WriteMs, double? SendMs);

    [GeneratedRegex(@"Dispatch pass placed (\d+) of (\d+) queued in ([0-9.]+) ms(?: \(read ([0-9.]+), resolve ([0-9.]+), plan ([0-9.]+), write ([0-9.]+), send ([0-9.]+)\))?")]
    private static partial Regex PassLine();

    private static string? PathOf() =>
        PlatformEnv.RunDir is { } run && File.Exists(Path.Combine(run, "..", "logs", "orchestrator.log"))
            ? Path.Combine(run, "..", "logs", "orchestrator.log") : null;

    /// <summary>Where the log ends now: passes after this mark are the ones to read.</summary>
    public static long Mark() => PathOf() is { } p ? new FileInfo(p).Length : 0;

    /// <summary>Passes logged since <paramref name="mark"/> over at least <paramref name="minQueued"/> queued experiments.</summary>
    public static List<Pass> PassesSince(long mark, int minQueued)
    {
        var result = new List<Pass>();
        if (PathOf() is not { } p) return result;
        using var stream = new FileStream(p, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (mark > stream.Length) mark = 0; // the log was rotated
        stream.Seek(mark, SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            var m = PassLine().Match(line);
            if (!m.Success) continue;
            int queued = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            if (queued < minQueued) continue;
            result.Add(new Pass(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), queued, Ms(m.Groups[3])!.Value,
                Ms(m.Groups[4]), Ms(m.Groups[5]), Ms(m.Groups[6]), Ms(m.Groups[7]), Ms(m.Groups[8])));
        }
        return result;
    }

    private static double? Ms(Group g) => g.Success ? double.Parse(g.Value, CultureInfo.InvariantCulture) : null;
}
