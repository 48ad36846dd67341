using AdapterLab.Bench.Perf;
using AdapterLab.Contracts.Catalogue;

namespace AdapterLab.Bench.Scenarios.Perf;

/// <summary>
/// The cheapest scenario: the two in-process references alone (peak float32 matmul, one vit-tiny-ci / vit-lab-s block
/// fwd + bwd). Needs no platform; the smoke test runs it with --quick.
/// </summary>
public sealed class PerfMicroScenario(string resultsDir, bool quick) : IScenario
{
    public string Name => "perf-micro";

    public async Task RunAsync(CancellationToken ct)
    {
        var report = new PerfReport(Name, quick);
        int repeats = quick ? 5 : 30;
        int n = quick ? 512 : 1024;
        var mm = TorchMicro.Matmul(n, repeats * 3);
        double peak = 2.0 * n * n * n / mm.Median;
        report.Add(new Figure($"peak matmul {n}² fp32", peak / 1e9, "GFLOP/s") { Repeats = mm.N, Note = $"p95 {2.0 * n * n * n / mm.P95 / 1e9:0.0}" });
        var preset = ModelCatalogue.Get(quick ? "vit-tiny-ci" : "vit-lab-s");
        int batch = quick ? 32 : 64, tokens = preset.PatchTokens() + 1;
        var block = TorchMicro.Block(preset, batch, tokens, repeats);
        double flops = VitCost.BlockTrainingFlops(preset, batch, tokens);
        report.Add(new Figure($"{preset.Name} block fwd+bwd (B {batch}, N {tokens})", flops / block.Median / 1e9, "GFLOP/s")
        {
            Reference = "peak matmul GFLOP/s", ReferenceValue = peak / 1e9, Ratio = flops / block.Median / peak, Repeats = block.N,
            Analytic = flops / peak * 1000, Note = "analytic: ms at peak matmul rate",
        });
        await report.WriteAsync(resultsDir, ct);
    }
}
