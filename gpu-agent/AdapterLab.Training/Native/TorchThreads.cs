using TorchSharp;

namespace AdapterLab.Training.Native;

/// <summary>
/// libtorch's intra-op thread count is process-wide, and changing it while another thread of the process is inside a
/// parallel kernel can crash the process natively (the OpenMP/BLAS pools are resized under the running kernel). An agent
/// runs several attempts in one process and the inference host trains nothing but predicts on its own thread, so every
/// caller asks here: the count is set only when it differs from the current one — once per process when every run asks
/// for the same count, which is how agents and hosts are configured.
/// </summary>
public static class TorchThreads
{
    private static readonly object Gate = new();

    /// <summary>Makes libtorch use <paramref name="threads"/> intra-op threads (≤ 0: leave it as it is).</summary>
    public static void Use(int threads)
    {
        if (threads <= 0) return;
        lock (Gate)
        {
            if (torch.get_num_threads() != threads) torch.set_num_threads(threads);
        }
    }
}
