using System.Diagnostics;
using System.Text.Json;
using AdapterLab.Bench.Perf;
using AdapterLab.Bench.Scenarios.Perf;
using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Safetensors;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Model;
using AdapterLab.Training.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Bench.Scenarios;

/// <summary>
/// Verifies a training device (<c>infra/gpu/verify.sh</c>; <c>DEVICE=cuda</c> on a GPU host, <c>DEVICE=cpu</c> in CI):
/// the golden <c>vit-tiny-ci</c> logits computed on the device match the two independent implementations' to 1e-4 (F32,
/// F16 and BF16 weights), and within bf16 rounding (3e-2) with bf16 products; then every classification method trains 50 steps on the device through the agent's own step,
/// with every parameter and buffer on the device afterwards, a finite loss, moved trainable tensors, images/s and the
/// peak memory, on CUDA in fp32 and with bf16 products. Fails (exit 1) on any mismatch. In-process, no platform. Writes <c>device-&lt;device&gt;.json/.md</c>.
/// </summary>
public sealed class DeviceScenario(string resultsDir, bool quick) : IScenario
{
    public string Name => "device";

    public const double LogitTolerance = 1e-4;
    /// <summary>bf16 products: ~2 bf16 spacings at |logit| ≈ 1 (the unit test measures 1.7e-2 on the CPU).</summary>
    public const double Bf16LogitTolerance = 3e-2;

    public async Task RunAsync(CancellationToken ct)
    {
        var requested = Environment.GetEnvironmentVariable("DEVICE") is { Length: > 0 } d ? d : "cuda";
        if (requested == "cuda" && !torch.cuda.is_available())
            throw new Runner.BenchException("DEVICE=cuda but TorchSharp sees no CUDA device: check the driver (nvidia-smi), the CUDA build (-p:TorchBackend=cuda) or ADAPTERLAB_LIBTORCH_DIR (docs/deploy.md)");
        if (requested is not ("cuda" or "cpu")) throw new Runner.BenchException($"DEVICE must be cpu or cuda, not '{requested}'");
        var device = requested == "cuda" ? torch.CUDA : torch.CPU;
        var report = new PerfReport($"device-{requested}", quick);
        var failures = new List<string>();
        report.Details["device"] = requested == "cuda" ? $"cuda ({torch.cuda.device_count()} device(s))" : "cpu";
        report.Details["libtorch"] = torch.__version__;

        string golden = Path.Combine(Path.GetDirectoryName(CrossCheckScenario.FindRepoRoot())!, "shared", "data", "vit-golden");
        foreach (var file in new[] { "vit-tiny-ci-f32.safetensors", "vit-tiny-ci-f16.safetensors", "vit-tiny-ci-bf16.safetensors" })
        {
            double worst = GoldenDifference(Path.Combine(golden, file), device);
            bool met = worst <= LogitTolerance;
            if (!met) failures.Add($"{file}: logits differ by {worst:G3} on {requested}");
            report.Add(new Figure($"golden logits {file}: largest |difference|", worst, "") { Target = $"≤ {LogitTolerance:G1}", Met = met });
            Console.WriteLine($"  golden {file}: max |Δ| {worst:G3}");
        }

        // bf16 products (training.precision: bf16) on the f32 fixture: within bf16 rounding of the same golden logits.
        {
            double worst = GoldenDifference(Path.Combine(golden, "vit-tiny-ci-f32.safetensors"), device, Autocast.Bf16);
            bool met = worst <= Bf16LogitTolerance;
            if (!met) failures.Add($"bf16 products: logits differ by {worst:G3} on {requested}");
            report.Add(new Figure("golden logits vit-tiny-ci-f32 with bf16 products: largest |difference|", worst, "") { Target = $"≤ {Bf16LogitTolerance:G1}", Met = met });
            Console.WriteLine($"  golden f32 weights, bf16 products: max |Δ| {worst:G3}");
        }

        int steps = quick ? 10 : 50, batch = 16, warmup = quick ? 2 : 5;
        // bf16 training is what a CUDA agent runs for training.precision: bf16; agents switch it off on the CPU, so the CPU
        // run trains fp32 only.
        var precisions = device.type == DeviceType.CUDA ? new[] { Autocast.Fp32, Autocast.Bf16 } : [Autocast.Fp32];
        foreach (var method in Methods.Classification)
        foreach (var precision in precisions)
        {
            ct.ThrowIfCancellationRequested();
            using var autocast = Autocast.Enter(precision);
            using var harness = new TrainingHarness("vit-tiny-ci", method, batch, trainSize: 256, device: device);
            var before = harness.Prepared.Trainable.Select(t => t.Parameter.detach().cpu().clone()).ToList();
            var memory = new RunFacts.MemoryPeak();
            var clock = new Stopwatch();
            double loss = double.NaN;
            for (int s = 0; s < steps; s++)
            {
                if (s == warmup) clock.Start();
                loss = harness.Step();
                memory.Sample();
            }
            if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
            clock.Stop();
            double imagesPerSecond = (steps - warmup) * batch / clock.Elapsed.TotalSeconds;

            var elsewhere = harness.Prepared.Model.named_parameters().Select(p => (p.name, p.parameter.device_type))
                .Concat(harness.Prepared.Model.named_buffers().Select(b => (b.name, b.buffer.device_type)))
                .Where(t => t.Item2 != device.type).Select(t => t.name).ToList();
            bool moved = harness.Prepared.Trainable.Zip(before).Any(p => !p.First.Parameter.detach().cpu().allclose(p.Second));
            foreach (var t in before) t.Dispose();
            if (elsewhere.Count > 0) failures.Add($"{method} {precision}: not on {requested}: {string.Join(", ", elsewhere.Take(5))}");
            if (!double.IsFinite(loss)) failures.Add($"{method} {precision}: loss {loss} after {steps} steps");
            if (!moved) failures.Add($"{method} {precision}: no trainable tensor changed in {steps} steps");
            report.Add(new Figure($"{method} {precision}: images/s over {steps - warmup} steps (batch {batch})", imagesPerSecond, "images/s")
            {
                Note = $"loss {loss:0.###}, peak working set {memory.Bytes / 1048576.0:0} MiB{(elsewhere.Count == 0 ? "" : $", {elsewhere.Count} tensor(s) off the device")}",
            });
            Console.WriteLine($"  {method} {precision}: {imagesPerSecond:0} images/s, loss {loss:0.###}, peak {memory.Bytes / 1048576.0:0} MiB");
        }
        foreach (var f in failures) report.Note("FAILED: " + f);
        if (failures.Count == 0) report.Note($"every check passed on {requested}");
        await report.WriteAsync(resultsDir, ct);
        if (failures.Count > 0) throw new Runner.BenchException($"device verification failed on {requested}: {string.Join("; ", failures)}");
    }

    /// <summary>The largest |logit difference| between the model on <paramref name="device"/> and the fixture's expected logits.</summary>
    private static double GoldenDifference(string weights, Device device, string precision = Autocast.Fp32)
    {
        using var autocast = Autocast.Enter(precision);
        var preset = ModelCatalogue.Get("vit-tiny-ci");
        using var scope = torch.NewDisposeScope();
        using var model = new VisionTransformer(new VisionTransformerOptions(preset, preset.ImageSize, 5));
        ViTWeights.Load(model, weights, includeHead: true);
        model.to(device);
        model.eval();
        using var reader = SafetensorsReader.Open(Path.Combine(Path.GetDirectoryName(weights)!, "input.safetensors"));
        using var _ = torch.no_grad();
        var logits = model.forward(TensorData.Read(reader, "pixels").to(device)).cpu().to(ScalarType.Float64).data<double>().ToArray();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Path.GetDirectoryName(weights)!, "expected.json")));
        var expected = doc.RootElement.GetProperty("logits").GetProperty(Path.GetFileName(weights)).EnumerateArray()
            .SelectMany(row => row.EnumerateArray().Select(v => v.GetDouble())).ToArray();
        if (expected.Length != logits.Length) return double.PositiveInfinity;
        return expected.Zip(logits).Max(p => Math.Abs(p.First - p.Second));
    }
}
