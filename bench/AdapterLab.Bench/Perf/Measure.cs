using System.Diagnostics;

namespace AdapterLab.Bench.Perf;

/// <summary>Order statistics over repeated measurements: every figure the perf scenarios report is a median (or a percentile) of repeats.</summary>
public sealed record Distribution(int N, double Median, double P95, double P99, double Min, double Max)
{
    public static Distribution Of(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).OrderBy(x => x).ToArray();
        if (v.Length == 0) return new Distribution(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        return new Distribution(v.Length, Percentile(v, 50), Percentile(v, 95), Percentile(v, 99), v[0], v[^1]);
    }

    /// <summary>Linear interpolation between closest ranks of sorted values.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 1) return sorted[0];
        double rank = p / 100.0 * (sorted.Length - 1);
        int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }
}

public static class Measure
{
    /// <summary>Runs <paramref name="action"/> <paramref name="warmup"/> times untimed, then <paramref name="repeats"/> times; seconds per run.</summary>
    public static Distribution Seconds(Action action, int repeats, int warmup = 1)
    {
        for (int i = 0; i < warmup; i++) action();
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        return Distribution.Of(times);
    }

    /// <summary>
    /// Interleaves several candidates round by round (a, b, c, a, b, c, …) so a load change on the shared machine hits
    /// all of them alike; seconds per run of each, by name.
    /// </summary>
    public static Dictionary<string, Distribution> Interleaved(IReadOnlyList<(string Name, Action Run)> candidates, int rounds, int warmup = 1)
    {
        foreach (var (_, run) in candidates) for (int i = 0; i < warmup; i++) run();
        var times = candidates.ToDictionary(c => c.Name, _ => new List<double>());
        for (int r = 0; r < rounds; r++)
        {
            foreach (var (name, run) in candidates)
            {
                long t0 = Stopwatch.GetTimestamp();
                run();
                times[name].Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
            }
        }
        return times.ToDictionary(kv => kv.Key, kv => Distribution.Of(kv.Value));
    }

    /// <summary>The 1-, 5- and 15-minute load averages (Linux); the reports quote them because this machine is shared.</summary>
    public static double[] LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Select(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }
        catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Resident set size of this process in bytes (fresh, not the cached Process value).</summary>
    public static long RssBytes()
    {
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.WorkingSet64;
    }
}
