using System.Runtime.InteropServices;

namespace AdapterLab.Bench.Runner;

/// <summary>What the figures were measured on.</summary>
public static class Machine
{
    public static object Describe() => new
    {
        os = RuntimeInformation.OSDescription,
        cpu = CpuModel(),
        cores = Environment.ProcessorCount,
        memoryGiB = Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1024.0 / 1024 / 1024, 1),
        dotnet = Environment.Version.ToString(),
        date = DateTimeOffset.UtcNow.ToString("u"),
    };

    private static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
