using System.Diagnostics;
using System.Globalization;

namespace AdapterLab.Training.Native;

/// <summary>What an agent trains on, as it announces it: the device's name and memory (CUDA: the first visible GPU as
/// <c>nvidia-smi</c> reports it, with the count; CPU: the processor model, cores and the memory this process may use).</summary>
public sealed record DeviceFacts(string Name, long MemoryBytes)
{
    /// <summary>The facts for the agent's device setting (<c>auto</c>, <c>cpu</c> or <c>cuda</c>), measured once.</summary>
    public static DeviceFacts Describe(string device)
    {
        if (device != "cpu" && TorchSharp.torch.cuda.is_available())
        {
            int count = TorchSharp.torch.cuda.device_count();
            var (name, memory) = NvidiaSmi() ?? ("CUDA device", 0);
            return new DeviceFacts(count > 1 ? $"{count} × {name}" : name, memory);
        }
        var model = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return new DeviceFacts($"cpu: {model ?? "unknown"} ({Environment.ProcessorCount} cores)", GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
    }

    private static (string Name, long Bytes)? NvidiaSmi()
    {
        try
        {
            var psi = new ProcessStartInfo("nvidia-smi", ["--query-gpu=name,memory.total", "--format=csv,noheader,nounits"]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi);
            if (p is null) return null;
            var first = p.StandardOutput.ReadLine();
            p.WaitForExit(5000);
            var parts = first?.Split(',', StringSplitOptions.TrimEntries);
            if (parts is not [var name, var mib] || !long.TryParse(mib, NumberStyles.Integer, CultureInfo.InvariantCulture, out var m)) return null;
            return (name, m * 1024 * 1024);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no nvidia-smi on this host
        }
    }
}
