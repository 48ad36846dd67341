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

    /// <summary>The same, as one line for reports: "2 cores (AMD EPYC), 23.5 GiB, Debian GNU/Linux 12, .NET 10.0.12".</summary>
    public static string Line() =>
        $"{Environment.ProcessorCount} cores ({CpuModel()}), {Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1024.0 / 1024 / 1024, 1)} GiB, " +
        $"{RuntimeInformation.OSDescription}, .NET {Environment.Version}";

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
