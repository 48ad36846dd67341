using System.Diagnostics;
using AdapterLab.Training.Native;

namespace AdapterLab.Training.Tests.Native;

/// <summary>
/// The GPU memory reader against a stand-in NVML built here with gcc (the four functions it calls, two devices), and on
/// a host without the driver.
/// </summary>
public sealed class DeviceMemoryTests
{
    [Fact]
    public void Without_the_driver_there_is_nothing_to_read()
    {
        Assert.Null(DeviceMemory.Open("libnvidia-ml-absent.so.1"));
    }

    [Fact]
    public void Reads_used_and_total_bytes_of_each_device()
    {
        var dir = Directory.CreateTempSubdirectory("fake-nvml").FullName;
        var source = Path.Combine(dir, "nvml.c");
        var library = Path.Combine(dir, "libnvidia-ml.so.1");
        File.WriteAllText(source, """
            typedef struct { unsigned long long total, free, used; } mem_t;
            int nvmlInit_v2(void) { return 0; }
            int nvmlDeviceGetCount_v2(unsigned int *n) { *n = 2; return 0; }
            int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **d) { *d = (void *)(unsigned long)(i + 1); return 0; }
            int nvmlDeviceGetMemoryInfo(void *d, mem_t *m) {
                unsigned long k = (unsigned long)d;
                if (k == 2) return 999; /* the second device cannot be read */
                m->total = 80ULL << 30; m->used = 5ULL << 30; m->free = m->total - m->used; return 0;
            }
            """);
        var gcc = Process.Start(new ProcessStartInfo("gcc", ["-shared", "-fPIC", "-o", library, source]) { RedirectStandardError = true })!;
        Assert.True(gcc.WaitForExit(60_000) && gcc.ExitCode == 0, "gcc could not build the stand-in NVML: " + gcc.StandardError.ReadToEnd());

        var nvml = DeviceMemory.Open(library);

        Assert.NotNull(nvml);
        var devices = nvml.Read();
        var only = Assert.Single(devices);
        Assert.Equal((0, 5L << 30, 80L << 30), only);
    }
}
