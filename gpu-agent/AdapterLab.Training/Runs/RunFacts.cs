using System.Diagnostics;
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

    /// <summary>cuda when asked for (or <c>auto</c>) and available, else cpu.</summary>
    public static Device ChooseDevice(string requested) =>
        requested is "cuda" or "auto" && TorchSharp.torch.cuda.is_available() ? TorchSharp.torch.CUDA : TorchSharp.torch.CPU;
}
