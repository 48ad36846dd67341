using AdapterLab.Bench.Perf;
using AdapterLab.Contracts.Specs;
using TorchSharp;

namespace AdapterLab.Bench.Scenarios.Perf;

/// <summary>
/// Scenario 3, memory over 10 epochs of the agent's step: live TorchSharp tensor count (must stay constant) and RSS
/// growth between the end of epoch 2 and epoch 10 (&lt; 5 %).
/// </summary>
public sealed class PerfMemoryScenario(string resultsDir, bool quick) : IScenario
{
    public string Name => "perf-memory";

    public async Task RunAsync(CancellationToken ct)
    {
        var report = new PerfReport(Name, quick);
        string preset = quick ? "vit-tiny-ci" : "vit-lab-s";
        const int epochs = 10;
        int batch = 64, trainSize = quick ? 256 : 1024;
        var rows = new List<object>();
        foreach (var method in new[] { Methods.FullFinetune, Methods.AdaptFormer })
        {
            using var h = new TrainingHarness(preset, method, batch, trainSize);
            var live = new long[epochs];
            var rss = new long[epochs];
            for (int e = 0; e < epochs; e++)
            {
                ct.ThrowIfCancellationRequested();
                for (int s = 0; s < h.StepsPerEpoch; s++) h.Step();
                GC.Collect();
                GC.WaitForPendingFinalizers();
                live[e] = torch.Tensor.TotalCount;
                rss[e] = Measure.RssBytes();
                rows.Add(new { method, epoch = e + 1, liveTensors = live[e], threadLive = DisposeScopeManager.Statistics.ThreadTotalLiveCount, rssMiB = rss[e] / 1048576.0 });
                Console.WriteLine($"  {method} epoch {e + 1}: live tensors {live[e]}, RSS {rss[e] / 1048576.0:0.0} MiB");
            }
            double growth = (double)rss[^1] / rss[1] - 1;
            report.Add(new Figure($"{preset} {method} live tensors epoch 2 → 10", live[^1] - live[1], "tensors")
            {
                Reference = "live tensors after epoch 2", ReferenceValue = live[1], Ratio = (double)live[^1] / live[1],
                Target = "constant (Δ 0)", Met = live[^1] == live[1], Repeats = epochs,
            });
            report.Add(new Figure($"{preset} {method} RSS growth epoch 2 → 10", growth * 100, "%")
            {
                Reference = "RSS after epoch 2 (MiB)", ReferenceValue = rss[1] / 1048576.0, Ratio = (double)rss[^1] / rss[1],
                Target = "< 5 %", Met = growth < 0.05, Repeats = epochs, Note = $"{h.StepsPerEpoch} steps per epoch, batch {batch}",
            });
        }
        report.Details["epochs"] = rows;
        await report.WriteAsync(resultsDir, ct);
    }
}
