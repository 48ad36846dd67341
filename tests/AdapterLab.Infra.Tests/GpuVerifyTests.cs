using System.Text.Json;

namespace AdapterLab.Infra.Tests;

/// <summary>
/// <c>infra/gpu/verify.sh</c>, the check a GPU host passes before its agents take work, run here with <c>DEVICE=cpu</c>:
/// golden logits on the device, every method 50 steps on it; and asked for CUDA on a host without it, it fails saying so.
/// </summary>
public sealed class GpuVerifyTests
{
    private static readonly string Script = Path.Combine(RepoRoot.Path, "infra", "gpu", "verify.sh");

    [Fact]
    public async Task Verify_passes_on_the_cpu_with_every_check_met()
    {
        var results = Directory.CreateTempSubdirectory("adapterlab-verify-");
        try
        {
            var run = await Commands.RunAsync("bash", [Script], Env("cpu", results.FullName, await BenchSmokeTests.BenchDllAsync()), TimeSpan.FromMinutes(5));
            Assert.True(run.ExitCode == 0, run.Output);
            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(results.FullName, "device-cpu.json")));
            var figures = doc.RootElement.GetProperty("figures").EnumerateArray().ToList();
            Assert.Equal(4, figures.Count(f => f.GetProperty("name").GetString()!.StartsWith("golden logits", StringComparison.Ordinal) && f.GetProperty("met").GetBoolean()));
            foreach (var method in new[] { "linear-probe", "full-finetune", "vpt-shallow", "vpt-deep", "adaptformer", "lora", "bitfit" })
                Assert.Contains(figures, f => f.GetProperty("name").GetString()!.StartsWith(method + " fp32: images/s over 45 steps", StringComparison.Ordinal) && f.GetProperty("value").GetDouble() > 0);
            Assert.Contains("every check passed on cpu", await File.ReadAllTextAsync(Path.Combine(results.FullName, "device-cpu.md")));
        }
        finally
        {
            results.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Asking_for_cuda_where_there_is_none_fails_saying_why()
    {
        var results = Directory.CreateTempSubdirectory("adapterlab-verify-");
        try
        {
            var run = await Commands.RunAsync("bash", [Script], Env("cuda", results.FullName, await BenchSmokeTests.BenchDllAsync()), TimeSpan.FromMinutes(2));
            Assert.NotEqual(0, run.ExitCode);
            Assert.Contains("DEVICE=cuda but TorchSharp sees no CUDA device", run.Output);
        }
        finally
        {
            results.Delete(recursive: true);
        }
    }

    private static Dictionary<string, string?> Env(string device, string results, string dll) => new()
    {
        ["DEVICE"] = device,
        ["ADAPTERLAB_BENCH_RESULTS"] = results,
        ["BENCH_DLL"] = dll,
        ["TORCH_NUM_THREADS"] = "1",
    };
}
