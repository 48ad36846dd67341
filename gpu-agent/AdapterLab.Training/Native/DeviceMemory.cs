using System.Runtime.InteropServices;

namespace AdapterLab.Training.Native;

/// <summary>
/// Memory in use on each NVIDIA GPU, from NVML (<c>libnvidia-ml.so.1</c>, installed with the driver; what
/// <c>nvidia-smi</c> reads): TorchSharp 0.107 exposes no allocator statistics, and the device's own figure also shows
/// what other processes on it hold. On a host without the driver there is nothing to read: <see cref="Open"/> returns null.
/// </summary>
public sealed class DeviceMemory
{
    [StructLayout(LayoutKind.Sequential)]
    private struct NvmlMemory
    {
        public ulong Total, Free, Used;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int Init();
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int DeviceCount(out uint count);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int HandleByIndex(uint index, out IntPtr device);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int MemoryInfo(IntPtr device, out NvmlMemory memory);

    private readonly DeviceCount _count;
    private readonly HandleByIndex _handle;
    private readonly MemoryInfo _memory;

    private DeviceMemory(DeviceCount count, HandleByIndex handle, MemoryInfo memory)
    {
        _count = count;
        _handle = handle;
        _memory = memory;
    }

    /// <summary>NVML, initialised; null when the library or its functions are absent or it does not initialise (no driver, no GPU).</summary>
    public static DeviceMemory? Open(string library = "libnvidia-ml.so.1")
    {
        if (!NativeLibrary.TryLoad(library, out var lib)) return null;
        T? Export<T>(string name) where T : Delegate =>
            NativeLibrary.TryGetExport(lib, name, out var p) ? Marshal.GetDelegateForFunctionPointer<T>(p) : null;
        var init = Export<Init>("nvmlInit_v2");
        var count = Export<DeviceCount>("nvmlDeviceGetCount_v2");
        var handle = Export<HandleByIndex>("nvmlDeviceGetHandleByIndex_v2");
        var memory = Export<MemoryInfo>("nvmlDeviceGetMemoryInfo");
        if (init is null || count is null || handle is null || memory is null || init() != 0) return null;
        return new DeviceMemory(count, handle, memory);
    }

    /// <summary>Bytes in use and in total on each device, by index; devices NVML cannot read are left out.</summary>
    public IReadOnlyList<(int Index, long Used, long Total)> Read()
    {
        var result = new List<(int, long, long)>();
        if (_count(out var n) != 0) return result;
        for (uint i = 0; i < n; i++)
            if (_handle(i, out var device) == 0 && _memory(device, out var m) == 0) result.Add(((int)i, (long)m.Used, (long)m.Total));
        return result;
    }
}
