namespace AdapterLab.Contracts.Messages;

/// <summary>
/// The metric points an agent reports about the machine rather than the model: split <see cref="Split"/>, empty task and
/// domain, sampled every couple of seconds. <see cref="WallClock"/> (Unix seconds at the sample's step) lets a chart put
/// any curve on a wall-clock axis.
/// </summary>
public static class SystemMetrics
{
    public const string Split = "system";
    public const string StepSeconds = "step_seconds";
    public const string ImagesPerSecond = "images_per_second";
    public const string MemoryMiB = "memory_mib";
    /// <summary>The process's memory on its CUDA devices (reported only where there is one).</summary>
    public const string DeviceMemoryMiB = "device_memory_mib";
    public const string WallClock = "wall_clock";
}
