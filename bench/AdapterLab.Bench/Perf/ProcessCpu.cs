namespace AdapterLab.Bench.Perf;

/// <summary>
/// A process's CPU time (user + system) from <c>/proc/&lt;pid&gt;/stat</c>, for "how much of a core does this take"
/// figures: the difference of two readings over a wall-clock window.
/// </summary>
public static class ProcessCpu
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>Seconds of CPU the process has used so far, or null when it is not there.</summary>
    public static double? Seconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name (which may contain spaces) start after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name (state is the first).
            long utime = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture);
            long stime = long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
            return (utime + stime) / TicksPerSecond;
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The share of one core the process used during <paramref name="window"/> (1.0 = one core busy throughout).</summary>
    public static async Task<double?> ShareOfOneCoreAsync(int pid, TimeSpan window, CancellationToken ct)
    {
        var before = Seconds(pid);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(window, ct);
        var after = Seconds(pid);
        return before is { } b && after is { } a ? (a - b) / clock.Elapsed.TotalSeconds : null;
    }
}
