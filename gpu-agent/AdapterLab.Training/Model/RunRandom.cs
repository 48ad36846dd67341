using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Model;

/// <summary>
/// A run's own random numbers. Torch's default generator is process-global: two trainings in one process (an agent
/// with slots &gt; 1) that seed it and draw from it interleave their draws, and neither is reproducible. A model built
/// with a <see cref="RunRandom"/> draws everything from it instead: initialisation from <see cref="Init"/> (CPU, seeded
/// with the run's seed), training-time randomness (dropout masks) from <see cref="On"/>, the generator of the tensor's
/// device, restarted from (seed, step) by <see cref="BeginStep"/> so a resumed run draws exactly what an uninterrupted
/// one would. One run, one thread: instances are not shared.
/// </summary>
public sealed class RunRandom : IDisposable
{
    private readonly Dictionary<(DeviceType Type, int Index), Generator> perDevice = [];
    private long stepSeed;

    public RunRandom(long seed)
    {
        Seed = seed;
        stepSeed = seed;
        Init = new Generator(unchecked((ulong)seed), torch.CPU);
    }

    public long Seed { get; }

    /// <summary>The generator every initialiser of the model draws from.</summary>
    public Generator Init { get; }

    /// <summary>The seed of step <paramref name="step"/>'s draws (the formula the trainers have always used).</summary>
    public static long StepSeed(long seed, long step) => seed * 1_000_003L + step;

    /// <summary>Restarts the training-time generators from (seed, step).</summary>
    public void BeginStep(long step)
    {
        stepSeed = StepSeed(Seed, step);
        foreach (var g in perDevice.Values) g.manual_seed(stepSeed);
    }

    /// <summary>The training-time generator for tensors on <paramref name="device"/> (created on first use, at the current step's seed).</summary>
    public Generator On(Device device)
    {
        var key = (device.type, device.index < 0 ? 0 : device.index);
        if (!perDevice.TryGetValue(key, out var g))
        {
            g = new Generator(unchecked((ulong)stepSeed), device);
            perDevice[key] = g;
        }
        return g;
    }

    public void Dispose()
    {
        Init.Dispose();
        foreach (var g in perDevice.Values) g.Dispose();
        perDevice.Clear();
    }
}
