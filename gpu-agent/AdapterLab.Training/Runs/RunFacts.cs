using System.Diagnostics;
using AdapterLab.Training.Api;
using static TorchSharp.torch;

namespace AdapterLab.Training.Runs;

/// <summary>What every trainer reports about the run itself: the torch build, throughput and peak memory.</summary>
public static class RunFacts
{
    public static IReadOnlyDictionary<string, string> Packages() => new Dictionary<string, string>
    {
        ["TorchSharp"] = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString(3) ?? "unknown",
        ["libtorch"] = TorchSharp.torch.__version__,
    };

    public static double Rate(long images, Stopwatch clock) => clock.Elapsed.TotalSeconds > 0 ? images / clock.Elapsed.TotalSeconds : 0;

    /// <summary>
    /// The peak working set while one run trains, sampled at every step and evaluation. Not the process's lifetime peak
    /// (<c>PeakWorkingSet64</c>, which it used to be): an agent runs many experiments, and a small run after a large one
    /// was reported with the large one's peak.
    /// </summary>
    public sealed class MemoryPeak
    {
        public long Bytes { get; private set; } = Environment.WorkingSet;

        public void Sample() => Bytes = Math.Max(Bytes, Environment.WorkingSet);
    }

    /// <summary>
    /// <c>auto</c>: cuda when available, else cpu. An explicit <c>cuda</c> on an agent without a CUDA device is refused
    /// rather than silently trained on the CPU (a GPU pool's agent without its GPU is a deployment error to see).
    /// </summary>
    public static Device ChooseDevice(string requested)
    {
        bool cuda = TorchSharp.torch.cuda.is_available();
        if (requested == "cuda" && !cuda)
            throw new TrainingFailedException("resources.device is cuda but this agent has no CUDA device (driver, CUDA build or ADAPTERLAB_LIBTORCH_DIR: docs/deploy.md)", 0);
        return requested is "cuda" or "auto" && cuda ? TorchSharp.torch.CUDA : TorchSharp.torch.CPU;
    }
}
