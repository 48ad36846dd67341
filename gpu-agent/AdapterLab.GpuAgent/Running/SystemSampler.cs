using AdapterLab.Contracts.Messages;

namespace AdapterLab.GpuAgent.Running;

/// <summary>
/// An attempt's system metrics (<see cref="SystemMetrics"/>), as metric points of their own split (stored and charted per attempt like any
/// curve): over the steps since the last sample, the mean step time and images per second; the process's memory; and
/// the wall clock at the sample's step, which lets a chart put any curve on a wall-clock axis. Sampled at most every
/// <see cref="Interval"/> (and whenever forced, e.g. at the last step), so it adds a handful of points per minute.
/// On a CUDA device, the process's device memory too (<see cref="DeviceMemory"/>, through the driver's NVML: TorchSharp
/// 0.107 exposes no allocator statistics).
/// </summary>
/// <param name="deviceMemoryMiB">The process's device memory now, or null (a CPU run, no driver).</param>
public sealed class SystemSampler(TimeProvider clock, Func<double?>? deviceMemoryMiB = null)
{
    private const string Split = SystemMetrics.Split;
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private double _seconds;
    private long _steps, _images;
    private DateTimeOffset? _last;

    /// <summary>One step's training time (the training thread).</summary>
    public void StepTimed(TimeSpan elapsed, int images)
    {
        _seconds += elapsed.TotalSeconds;
        _steps++;
        _images += images;
    }

    /// <summary>The sample at <paramref name="step"/> when one is due (the first, every interval, or forced); else nothing.</summary>
    public IReadOnlyList<MetricPoint> Sample(long step, bool force)
    {
        var now = clock.GetUtcNow();
        if (!force && _last is { } last && now - last < Interval) return [];
        _last = now;
        var points = new List<MetricPoint>(4)
        {
            new(step, Split, "", "", SystemMetrics.WallClock, now.ToUnixTimeMilliseconds() / 1000.0),
            new(step, Split, "", "", SystemMetrics.MemoryMiB, Environment.WorkingSet / 1048576.0),
        };
        if (deviceMemoryMiB?.Invoke() is { } device) points.Add(new(step, Split, "", "", SystemMetrics.DeviceMemoryMiB, device));
        if (_steps > 0 && _seconds > 0)
        {
            points.Add(new(step, Split, "", "", SystemMetrics.StepSeconds, _seconds / _steps));
            points.Add(new(step, Split, "", "", SystemMetrics.ImagesPerSecond, _images / _seconds));
        }
        _seconds = 0;
        _steps = 0;
        _images = 0;
        return points;
    }
}
