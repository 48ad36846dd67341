using AdapterLab.Web.Experiments;

namespace AdapterLab.Web.Dashboard;

/// <summary>
/// Steps to wall-clock time for the charts' time axis. Metric points carry steps, not times; the agent's system samples
/// include <c>system/wall_clock</c> (Unix seconds) every couple of seconds and at the last step, and a step between two
/// samples is placed by linear interpolation. Steps outside the sampled range have no time (never extrapolated).
/// </summary>
public sealed class WallClock
{
    public const string SystemSplit = AdapterLab.Contracts.Messages.SystemMetrics.Split;
    public const string Metric = AdapterLab.Contracts.Messages.SystemMetrics.WallClock;

    private readonly long[] _steps;
    private readonly double[] _seconds;

    private WallClock(IEnumerable<(long Step, double Seconds)> samples)
    {
        var ordered = samples.Where(s => double.IsFinite(s.Seconds)).GroupBy(s => s.Step).Select(g => g.First()).OrderBy(s => s.Step).ToArray();
        _steps = ordered.Select(s => s.Step).ToArray();
        _seconds = ordered.Select(s => s.Seconds).ToArray();
    }

    /// <summary>The clock of one run from its metric points (their wall-clock samples); empty when it has none.</summary>
    public static WallClock Of(IEnumerable<MetricPointView> points) =>
        new(points.Where(p => p.Split == SystemSplit && p.Name == Metric).Select(p => (p.Step, p.Value)));

    public static WallClock Of(IEnumerable<(long Step, double UnixSeconds)> samples) => new(samples);

    public bool IsEmpty => _steps.Length == 0;

    /// <summary>The wall clock at <paramref name="step"/>, or null outside the sampled steps.</summary>
    public DateTimeOffset? At(long step)
    {
        if (_steps.Length == 0 || step < _steps[0] || step > _steps[^1]) return null;
        int i = Array.BinarySearch(_steps, step);
        if (i >= 0) return FromUnixSeconds(_seconds[i]);
        int hi = ~i, lo = hi - 1;
        double f = (double)(step - _steps[lo]) / (_steps[hi] - _steps[lo]);
        return FromUnixSeconds(_seconds[lo] + f * (_seconds[hi] - _seconds[lo]));
    }

    public static DateTimeOffset FromUnixSeconds(double seconds) => DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000));
}
