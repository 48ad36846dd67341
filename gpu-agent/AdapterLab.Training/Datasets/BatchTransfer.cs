using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Datasets;

/// <summary>
/// The one way a batch assembled on the host reaches the attempt's device: unchanged on the CPU; on CUDA through pinned
/// (page-locked) memory with a non-blocking copy, so the transfer overlaps the previous step's kernels instead of
/// stalling the stream. The pinned block is released to libtorch's caching host allocator, which keeps it until the
/// copy has completed.
/// </summary>
public static class BatchTransfer
{
    public static Tensor ToDevice(Tensor host, Device device)
    {
        if (device.type == DeviceType.CPU) return host;
        using var pinned = host.pin_memory();
        return pinned.to(device, non_blocking: true);
    }
}
