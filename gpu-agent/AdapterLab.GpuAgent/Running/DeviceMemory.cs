using System.Runtime.InteropServices;

namespace AdapterLab.GpuAgent.Running;

/// <summary>
/// This process's memory on its CUDA devices, read through NVML (<c>libnvidia-ml</c>, installed with the NVIDIA driver),
/// since TorchSharp 0.107 exposes no CUDA allocator statistics: the sum over devices of what the driver reports this
/// process uses (allocator cache included, as <c>nvidia-smi</c> shows it). Null where there is no driver, no device or
/// the driver does not say — never an error: a CPU agent simply has no device memory to report.
/// </summary>
public static class DeviceMemory
{
    private const int Success = 0;
    private const int InsufficientSize = 7;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int InitFn();
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int CountFn(out uint count);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int HandleFn(uint index, out IntPtr device);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int ProcessesFn(IntPtr device, ref uint count, [Out] ProcessInfo[]? infos);

    /// <summary><c>nvmlProcessInfo_t</c> (v2, used by <c>nvmlDeviceGetComputeRunningProcesses_v3</c>).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ProcessInfo
    {
        public uint Pid;
        public ulong UsedGpuMemory;
        public uint GpuInstanceId;
        public uint ComputeInstanceId;
    }

    private static readonly Lazy<(CountFn Count, HandleFn Handle, ProcessesFn Processes)?> Api = new(Load);

    /// <summary>MiB of device memory this process holds on every CUDA device together, or null when it cannot be known.</summary>
    public static double? ProcessMiB()
    {
        if (Api.Value is not { } api) return null;
        try
        {
            if (api.Count(out uint devices) != Success) return null;
            int pid = Environment.ProcessId;
            ulong bytes = 0;
            bool seen = false;
            for (uint d = 0; d < devices; d++)
            {
                if (api.Handle(d, out var device) != Success) continue;
                uint count = 0;
                int rc = api.Processes(device, ref count, null);
                if (rc != Success && rc != InsufficientSize) continue;
                if (count == 0) { seen = true; continue; }
                var infos = new ProcessInfo[count + 8];
                count = (uint)infos.Length;
                if (api.Processes(device, ref count, infos) != Success) continue;
                seen = true;
                foreach (var p in infos.AsSpan(0, (int)count))
                    if (p.Pid == pid && p.UsedGpuMemory != ulong.MaxValue) bytes += p.UsedGpuMemory;
            }
            return seen ? bytes / 1048576.0 : null;
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or MarshalDirectiveException or SEHException)
        {
            return null;
        }
    }

    private static (CountFn, HandleFn, ProcessesFn)? Load()
    {
        foreach (var name in new[] { "libnvidia-ml.so.1", "libnvidia-ml.so", "nvml.dll" })
        {
            if (!NativeLibrary.TryLoad(name, out var lib)) continue;
            if (!NativeLibrary.TryGetExport(lib, "nvmlInit_v2", out var init)
                || !NativeLibrary.TryGetExport(lib, "nvmlDeviceGetCount_v2", out var count)
                || !NativeLibrary.TryGetExport(lib, "nvmlDeviceGetHandleByIndex_v2", out var handle)
                || !NativeLibrary.TryGetExport(lib, "nvmlDeviceGetComputeRunningProcesses_v3", out var processes))
                return null;
            if (Marshal.GetDelegateForFunctionPointer<InitFn>(init)() != Success) return null;
            return (Marshal.GetDelegateForFunctionPointer<CountFn>(count), Marshal.GetDelegateForFunctionPointer<HandleFn>(handle),
                Marshal.GetDelegateForFunctionPointer<ProcessesFn>(processes));
        }
        return null;
    }
}
