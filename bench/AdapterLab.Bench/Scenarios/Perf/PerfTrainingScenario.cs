using AdapterLab.Bench.Perf;
using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;
using TorchSharp;

namespace AdapterLab.Bench.Scenarios.Perf;

/// <summary>
/// Scenario 1, training efficiency, in process on the CPU: images/s per method through the agent's own training step,
/// achieved matmul FLOP/s (analytic FLOPs / median step time) as a fraction of (a) the peak float32 matmul rate and
/// (b) one transformer block's fwd + bwd of the same shape, all measured interleaved in the same process.
/// </summary>
public sealed class PerfTrainingScenario(string resultsDir, bool quick) : IScenario
{
    public string Name => "perf-train";

    public async Task RunAsync(CancellationToken ct)
    {
        var report = new PerfReport(Name, quick);
        const int batch = 64;
        const int matmulN = 1024;
        int rounds = quick ? 5 : 15;
        var presets = quick ? new[] { "vit-lab-s" } : new[] { "vit-lab-s", "vit-ti16" };
        var methods = quick
            ? new[] { Methods.FullFinetune, Methods.AdaptFormer }
            : new[] { Methods.FullFinetune, Methods.AdaptFormer, Methods.Lora, Methods.BitFit, Methods.VptDeep };
        report.Details["threads"] = torch.get_num_threads();
        report.Details["batch"] = batch;
        report.Details["rounds"] = rounds;

        foreach (var presetName in presets)
        {
            ct.ThrowIfCancellationRequested();
            var preset = ModelCatalogue.Get(presetName);
            int b = presetName == "vit-lab-s" ? batch : 16; // 224-pixel presets: a batch that fits a 2-core step in seconds
            int tokens = preset.PatchTokens() + 1;
            Console.WriteLine($"[{Name}] {presetName}: batch {b}, {tokens} tokens, methods {string.Join(", ", methods)}, {rounds} interleaved rounds");
            var harnesses = methods.Select(m => new TrainingHarness(presetName, m, b, trainSize: Math.Max(4 * b, 256))).ToList();
            // The same runs with the composed (unfused) attention: an option of each model (training.attention), so both
            // forms live side by side in this process and are timed interleaved.
            var composed = methods.Where(m => m is Methods.FullFinetune or Methods.AdaptFormer)
                .Select(m => new TrainingHarness(presetName, m, b, trainSize: Math.Max(4 * b, 256), attention: AttentionKernels.Composed)).ToList();
            try
            {
                using var a = torch.randn(matmulN, matmulN);
                using var bm = torch.randn(matmulN, matmulN);
                torch.random.manual_seed(1);
                using var block = new AdapterLab.Training.Model.TransformerBlock(preset.Width, preset.Heads, preset.MlpHidden, null, null);
                block.train();
                torch.random.manual_seed(1);
                using var composedBlock = new AdapterLab.Training.Model.TransformerBlock(preset.Width, preset.Heads, preset.MlpHidden, null, null, fusedAttention: false);
                composedBlock.train();
                using var x = torch.randn(b, tokens, preset.Width).requires_grad_(true);
                var candidates = new List<(string, Action)>
                {
                    ("matmul", () => { for (int i = 0; i < 3; i++) torch.matmul(a, bm).Dispose(); }),
                    ("block", () =>
                    {
                        using var scope = torch.NewDisposeScope();
                        block.zero_grad();
                        block.forward(x).sum().backward();
                    }),
                };
                candidates.AddRange(harnesses.Select(h => (h.Method, (Action)(() => h.Step()))));
                // The same block and steps with the composed (unfused) attention: what the fused kernel gives, same run.
                candidates.Add(("block composed", () =>
                {
                    using var scope = torch.NewDisposeScope();
                    composedBlock.zero_grad();
                    composedBlock.forward(x).sum().backward();
                }));
                candidates.AddRange(composed.Select(h => (h.Method + " composed", (Action)(() => h.Step()))));
                var times = Measure.Interleaved(candidates, rounds, warmup: 2);

                double peak = 2.0 * matmulN * matmulN * matmulN / (times["matmul"].Median / 3);
                double blockFlops = VitCost.BlockTrainingFlops(preset, b, tokens);
                double blockRate = blockFlops / times["block"].Median;
                report.Add(new Figure($"{presetName} peak matmul {matmulN}² fp32", peak / 1e9, "GFLOP/s") { Repeats = rounds * 3 });
                report.Add(new Figure($"{presetName} block fwd+bwd (B {b}, N {tokens}, d {preset.Width})", blockRate / 1e9, "GFLOP/s")
                {
                    Reference = "peak matmul GFLOP/s", ReferenceValue = peak / 1e9, Ratio = blockRate / peak, Repeats = rounds,
                    Analytic = blockFlops / peak * 1000, Note = "analytic: ms per block at peak matmul rate",
                });
                double? fullStep = null;
                foreach (var h in harnesses)
                {
                    var d = times[h.Method];
                    double flops = VitCost.StepFlops(preset, h.Method, b);
                    double rate = flops / d.Median;
                    bool isFull = h.Method == Methods.FullFinetune;
                    if (isFull) fullStep = d.Median;
                    report.Add(new Figure($"{presetName} {h.Method} images/s", b / d.Median, "images/s")
                    {
                        Reference = "analytic ceiling at peak matmul (images/s)", ReferenceValue = b / (flops / peak), Ratio = (flops / peak) / d.Median,
                        Analytic = flops / peak * 1000, Repeats = rounds,
                        Note = $"median step {d.Median * 1000:0.0} ms (p95 {d.P95 * 1000:0.0}); analytic floor {flops / peak * 1000:0.0} ms for {flops / 1e9:0.00} GFLOP",
                    });
                    report.Add(new Figure($"{presetName} {h.Method} achieved / block microbenchmark", rate / 1e9, "GFLOP/s")
                    {
                        Reference = "block fwd+bwd GFLOP/s", ReferenceValue = blockRate / 1e9, Ratio = rate / blockRate, Repeats = rounds,
                        Target = isFull ? "≥ 0.70" : null, Met = isFull ? rate / blockRate >= 0.70 : null,
                        Note = $"fraction of peak matmul {rate / peak:0.000} (long-run goal ≥ 0.40)",
                    });
                }
                foreach (var key in times.Keys.Where(k => k.EndsWith(" composed", StringComparison.Ordinal)).ToList())
                {
                    var fused = key[..^" composed".Length];
                    double r = times[fused].Median / times[key].Median;
                    report.Add(new Figure($"{presetName} {fused}: fused attention time / composed attention time", r, "×")
                    {
                        Reference = "composed attention (ms)", ReferenceValue = times[key].Median * 1000, Ratio = r, Repeats = rounds,
                        Note = "optimisation: MultiHeadAttention uses scaled_dot_product_attention",
                    });
                }
                // Profile: where a step's time goes (medians of phase times over the same number of steps).
                var profile = new Dictionary<string, object>();
                foreach (var h in harnesses)
                {
                    var phases = Enumerable.Range(0, Math.Max(3, rounds / 2)).Select(_ => h.ProfileStep()).ToList();
                    double data = Median(phases.Select(p => p.Data)), fwd = Median(phases.Select(p => p.Forward)),
                        bwd = Median(phases.Select(p => p.Backward)), opt = Median(phases.Select(p => p.Optimizer));
                    double total = data + fwd + bwd + opt;
                    profile[h.Method] = new { dataMs = data * 1000, forwardMs = fwd * 1000, backwardMs = bwd * 1000, optimizerMs = opt * 1000 };
                    report.Note($"{presetName} {h.Method} step profile: data {data / total:P1}, forward {fwd / total:P1}, backward {bwd / total:P1}, optimiser {opt / total:P1} (of {total * 1000:0} ms)");
                }
                report.Details[$"{presetName}.profile"] = profile;
                if (fullStep is { } fs && harnesses.Any(h => h.Method == Methods.AdaptFormer))
                {
                    double ratio = times[Methods.AdaptFormer].Median / fs;
                    double analytic = VitCost.StepFlops(preset, Methods.AdaptFormer, b) / VitCost.StepFlops(preset, Methods.FullFinetune, b);
                    report.Add(new Figure($"{presetName} adaptformer step / full-finetune step", ratio, "×")
                    {
                        Reference = "full-finetune step (same run)", ReferenceValue = fs * 1000, Ratio = ratio, Analytic = analytic,
                        Target = "≤ 0.80", Met = ratio <= 0.80, Repeats = rounds,
                    });
                }
            }
            finally
            {
                foreach (var h in harnesses.Concat(composed)) h.Dispose();
            }
        }
        await report.WriteAsync(resultsDir, ct);
    }

    private static double Median(IEnumerable<double> values) => Distribution.Of(values).Median;
}
