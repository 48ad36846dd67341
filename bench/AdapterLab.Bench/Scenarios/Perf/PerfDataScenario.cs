using System.Diagnostics;
using AdapterLab.Bench.Perf;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Classification;
using AdapterLab.Training.Datasets.Folders;
using AdapterLab.Training.Datasets.ShapesWorld;

namespace AdapterLab.Bench.Scenarios.Perf;

/// <summary>
/// Scenario 2, data pipeline: the agent's step with live batch assembly from the generated ShapesWorld split versus the
/// same step on pre-built in-memory batch tensors (interleaved), plus the one-time rendering of the split amortised
/// over one epoch. The same for a user's ImageFolder: the rendered split written as PNGs (2× upscaled, so loading also
/// resizes), opened and decoded by the agent's <see cref="FolderDataset"/> (once per run, cached after), then the step
/// on batches from it. Target: live costs &lt; 10 %.
/// </summary>
public sealed class PerfDataScenario(string resultsDir, bool quick) : IScenario
{
    public string Name => "perf-data";

    public async Task RunAsync(CancellationToken ct)
    {
        var report = new PerfReport(Name, quick);
        const string preset = "vit-lab-s";
        const int batch = 64;
        int rounds = quick ? 8 : 30;
        int trainSize = quick ? 1024 : 4096;

        // Rendering: a fresh split (a size not used elsewhere, so the in-process cache cannot serve it).
        var render = Stopwatch.StartNew();
        var fresh = ShapesWorldDataset.Classification(ShapesWorldDataset.WorldSeed, "synthetic", "largest-shape", DataSplit.Train, trainSize + 7, 32);
        render.Stop();
        double renderPerImage = render.Elapsed.TotalSeconds / fresh.Count;

        // Folder datasets: the same images as PNG files, decoded (and resized) by the agent's loader.
        var dataRoot = Directory.CreateTempSubdirectory("adapterlab-perf-data-");
        FolderFixture.Write(fresh, dataRoot.FullName, "shapes");
        var decode = Stopwatch.StartNew();
        var folder = FolderDataset.Open(dataRoot.FullName, "shapes");
        var folderSplit = folder.Split(DataSplit.Train, fresh.ImageSize, null, "folder");
        decode.Stop();
        var reopen = Stopwatch.StartNew();
        FolderDataset.Open(dataRoot.FullName, "shapes").Split(DataSplit.Train, fresh.ImageSize, null, "folder");
        reopen.Stop();

        using var h = new TrainingHarness(preset, Methods.FullFinetune, batch, trainSize);
        int batches = Math.Min(h.StepsPerEpoch, 8);
        var images = h.PrebuildImages(batches);
        var labels = h.PrebuildLabels(batches);
        int k = 0, f = 0;
        var times = Measure.Interleaved(
        [
            ("live", () => h.Step()),
            ("folder", () =>
            {
                using var scope = TorchSharp.torch.NewDisposeScope();
                var rows = Enumerable.Range(f++ * batch % (folderSplit.Count - batch), batch).ToArray();
                h.StepOn(folderSplit.ImagesTensor(rows, TorchSharp.torch.CPU), folderSplit.LabelsTensor(rows, TorchSharp.torch.CPU));
            }),
            ("prebuilt", () => { h.StepOn(images[k % batches], labels[k % batches]); k++; }),
            // Diagnostic: live batch assembly, then the bench's own step code (as prebuilt): separates the cost of fresh
            // batch tensors from any difference between the agent's step and the bench's copy of it.
            ("live-bench-step", () =>
            {
                using var scope = TorchSharp.torch.NewDisposeScope();
                var rows = h.Order.Batch(h.StepsTaken);
                h.StepOn(h.Split.ImagesTensor(rows, TorchSharp.torch.CPU), h.Split.LabelsTensor(rows, TorchSharp.torch.CPU));
            }),
        ], rounds, warmup: 2);
        // The gather alone (what live adds per step), measured the same way.
        var gather = Measure.Seconds(() =>
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            var rows = h.Order.Batch(k++);
            h.Split.ImagesTensor(rows, TorchSharp.torch.CPU);
            h.Split.LabelsTensor(rows, TorchSharp.torch.CPU);
        }, rounds * 4, warmup: 2);
        foreach (var t in images.Concat(labels)) t.Dispose();

        double live = times["live"].Median, pre = times["prebuilt"].Median;
        double stepsPerEpoch = (double)trainSize / batch;
        double renderShare = renderPerImage * trainSize / (stepsPerEpoch * pre);
        report.Add(new Figure("live step (ShapesWorld split → batch tensor)", batch / live, "images/s")
        {
            Reference = "pre-built batches images/s", ReferenceValue = batch / pre, Ratio = pre / live, Repeats = rounds,
            Target = "live cost < 10 %", Met = live / pre - 1 < 0.10,
            Note = $"live cost {(live / pre - 1) * 100:0.0} % per step (median step {live * 1000:0.0} vs {pre * 1000:0.0} ms)",
        });
        double diag = times["live-bench-step"].Median;
        report.Add(new Figure("diagnostic: fresh batch tensors through the bench's step", batch / diag, "images/s")
        {
            Reference = "pre-built batches images/s", ReferenceValue = batch / pre, Ratio = pre / diag, Repeats = rounds,
            Note = "≈ live: the fresh tensors cost; ≈ pre-built: the agent's step differs from the bench's copy",
        });
        report.Add(new Figure("batch assembly alone", gather.Median * 1000, "ms")
        {
            Reference = "pre-built step ms", ReferenceValue = pre * 1000, Ratio = gather.Median / pre, Repeats = gather.N,
            Target = "< 0.10", Met = gather.Median / pre < 0.10,
        });
        report.Add(new Figure("ShapesWorld rendering, one epoch amortised", renderPerImage * 1e6, "µs/image")
        {
            Reference = "one epoch of pre-built steps (s)", ReferenceValue = stepsPerEpoch * pre, Ratio = renderShare,
            Target = "< 0.10 of epoch 1 (once per run, cached after)", Met = renderShare < 0.10,
            Note = $"{fresh.Count} images rendered in {render.Elapsed.TotalSeconds:0.00} s on {Environment.ProcessorCount} threads; later epochs reuse the in-memory split",
        });
        double folderStep = times["folder"].Median, folderEpoch = (double)folderSplit.Count / batch * pre;
        report.Add(new Figure("folder step (decoded ImageFolder split → batch tensor)", batch / folderStep, "images/s")
        {
            Reference = "pre-built batches images/s", ReferenceValue = batch / pre, Ratio = pre / folderStep, Repeats = rounds,
            Target = "live cost < 10 %", Met = folderStep / pre - 1 < 0.10,
            Note = $"{folder.Images.Count} PNGs of {2 * fresh.ImageSize}² px in {folder.Classes.Count} classes, {folderSplit.Count} in the train split",
        });
        report.Add(new Figure("ImageFolder decoding and resizing, one epoch amortised", decode.Elapsed.TotalSeconds / folder.Images.Count * 1e6, "µs/image")
        {
            Reference = "one epoch of pre-built steps over the folder's train split (s)", ReferenceValue = folderEpoch, Ratio = decode.Elapsed.TotalSeconds / folderEpoch,
            Target = "< 0.10 of epoch 1 (once per run, cached after)", Met = decode.Elapsed.TotalSeconds / folderEpoch < 0.10,
            Note = $"scan, read, decode and resize of all {folder.Images.Count} images (every split) in {decode.Elapsed.TotalSeconds:0.00} s on {Environment.ProcessorCount} threads",
        });
        report.Add(new Figure("ImageFolder re-opened (file scan + cached pixels)", reopen.Elapsed.TotalMilliseconds, "ms")
        {
            Reference = "one epoch of pre-built steps over the folder's train split (s)", ReferenceValue = folderEpoch, Ratio = reopen.Elapsed.TotalSeconds / folderEpoch,
            Note = "a later experiment on the same folder in the same agent: the fingerprint (every file's size and time) matches, nothing is decoded",
        });
        dataRoot.Delete(recursive: true);
        await report.WriteAsync(resultsDir, ct);
    }
}
