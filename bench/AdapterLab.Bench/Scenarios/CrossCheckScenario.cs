using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AdapterLab.Contracts.Safetensors;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Classification;
using AdapterLab.Training.Datasets.ShapesWorld;
using AdapterLab.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Bench.Scenarios;

/// <summary>
/// The independent cross-check of the adaptation methods: for each method, one training step of the platform's model
/// (the golden <c>vit-tiny-ci</c> backbone, trainable tensors moved off their zero init so every gradient is non-trivial,
/// a fixed batch of 8 ShapesWorld images, dropout off) in float64 — its loss, the gradient of every trainable tensor and
/// the tensors after one AdamW step — written to safetensors; then <c>bench/crosscheck/torch_reference.py</c>, a PyTorch
/// implementation written from the papers' released code (AdaptFormer, VPT, LoRA, BitFit), recomputes all of it from the
/// same inputs with Debian's <c>python3-torch</c> on CPU. Passes when every value matches to 1e-5. In-process, no platform.
/// </summary>
public sealed class CrossCheckScenario(string resultsDir, bool quick) : IScenario
{
    public string Name => "crosscheck";

    /// <summary>The largest absolute difference allowed (loss, every gradient element, every updated parameter).</summary>
    public const double Tolerance = 1e-5;

    private static readonly (string Case, MethodSpec Method)[] Cases =
    [
        ("linear-probe", new MethodSpec { Name = Methods.LinearProbe }),
        ("full-finetune", new MethodSpec { Name = Methods.FullFinetune }),
        ("vpt-shallow", new MethodSpec { Name = Methods.VptShallow, PromptTokens = 5 }),
        ("vpt-deep", new MethodSpec { Name = Methods.VptDeep, PromptTokens = 5 }),
        ("adaptformer-parallel", new MethodSpec { Name = Methods.AdaptFormer, Bottleneck = 8, Scale = 0.1, Dropout = 0 }),
        ("adaptformer-sequential", new MethodSpec { Name = Methods.AdaptFormer, Bottleneck = 8, Scale = 0.1, Placement = "sequential", Dropout = 0 }),
        ("adaptformer-learnable-scale-norm-in", new MethodSpec { Name = Methods.AdaptFormer, Bottleneck = 8, LearnableScale = true, AdapterNorm = "in", Dropout = 0, Layers = [1, 3] }),
        ("lora", new MethodSpec { Name = Methods.Lora, Rank = 4, Alpha = 8 }),
        ("bitfit", new MethodSpec { Name = Methods.BitFit }),
    ];

    public async Task RunAsync(CancellationToken ct)
    {
        string root = FindRepoRoot();
        // The golden fixtures sit beside the repository (../shared/data/vit-golden), as the unit tests read them.
        string golden = Path.Combine(Path.GetDirectoryName(root)!, "shared", "data", "vit-golden", "vit-tiny-ci-f32.safetensors");
        if (!File.Exists(golden)) throw new Runner.BenchException($"the golden backbone is missing: {golden}");
        var work = Directory.CreateTempSubdirectory("adapterlab-crosscheck-").FullName;
        try
        {
            var cases = quick ? Cases.Take(3).ToArray() : Cases;
            foreach (var (name, method) in cases)
            {
                Export(name, method, golden, Path.Combine(work, name + ".safetensors"));
                Console.WriteLine($"  exported {name}");
            }
            string python = Environment.GetEnvironmentVariable("ADAPTERLAB_PYTHON") ?? "/usr/bin/python3";
            string script = Path.Combine(root, "bench", "crosscheck", "torch_reference.py");
            var output = Path.Combine(work, "result.json");
            var psi = new ProcessStartInfo(python) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { script, work, output, Tolerance.ToString("R", CultureInfo.InvariantCulture) }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi) ?? throw new Runner.BenchException($"cannot start {python}");
            string stdout = await p.StandardOutput.ReadToEndAsync(ct), stderr = await p.StandardError.ReadToEndAsync(ct);
            await p.WaitForExitAsync(ct);
            if (!File.Exists(output))
                throw new Runner.BenchException($"the PyTorch reference failed (exit {p.ExitCode}): {stderr.Trim().Split('\n').LastOrDefault()} — it needs Debian's python3-torch (apt-get install python3-torch)");
            Console.Write(stdout);
            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(output, ct));
            await File.WriteAllTextAsync(Path.Combine(resultsDir, Name + ".json"), JsonSerializer.Serialize(doc.RootElement, new JsonSerializerOptions { WriteIndented = true }), ct);
            await File.WriteAllTextAsync(Path.Combine(resultsDir, Name + ".md"), Render(doc.RootElement), ct);
            if (!doc.RootElement.GetProperty("passed").GetBoolean()) throw new Runner.BenchException("the cross-check found differences above 1e-5 (bench/results/crosscheck.md)");
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    /// <summary>One case: inputs, parameters (float32-exact), loss, gradients and the parameters after one AdamW step, all computed in float64.</summary>
    private static void Export(string name, MethodSpec method, string golden, string path)
    {
        var spec = new ExperimentSpec
        {
            Kind = Kinds.Adapt,
            Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Named, Name = "golden" },
            Method = method,
            Data = new DataSpec { LabelFamily = "largest-shape", SourceDomain = "synthetic", TrainSize = 64, ValidationSize = 16, TestSize = 16 },
            Training = new TrainingSpec { Steps = 1, BatchSize = 8, Seed = 7, LearningRate = 1e-3 },
        };
        var plan = ClassificationPlan.From(spec);
        using var prepared = PreparedModel.Build(plan, golden, torch.CPU);
        var model = prepared.Model;
        using var gen = new Generator(1234);
        using (torch.no_grad())
        {
            // Off the zero init (AdaptMLP's up, LoRA's B), by a float32-exact amount so both sides start from the same numbers.
            foreach (var (_, p) in prepared.Trainable)
            {
                using var noise = torch.randn(p.shape, generator: gen).mul_(0.05);
                p.add_(noise);
            }
        }
        model.to(ScalarType.Float64);
        var trainable = model.named_parameters().Where(p => plan.IsTrainable(p.name)).Select(p => (p.name, p.parameter)).ToList();
        var split = ShapesWorldDataset.Classification(ShapesWorldDataset.WorldSeed, "synthetic", "largest-shape", DataSplit.Train, 64, 32);
        int[] rows = [0, 1, 2, 3, 4, 5, 6, 7];
        using var images = split.ImagesTensor(rows, torch.CPU);
        using var labels = split.LabelsTensor(rows, torch.CPU);
        var tensors = new List<SafetensorsTensor>
        {
            TensorData.ToSafetensors("input.images", images),
            TensorData.ToSafetensors("input.labels", labels),
        };
        tensors.AddRange(model.named_parameters().Select(p => TensorData.ToSafetensors("param." + p.name, p.parameter)));
        tensors.AddRange(model.named_buffers().Select(b => TensorData.ToSafetensors("buffer." + b.name, b.buffer)));
        var optimizer = plan.Optimisation.Create(trainable, plan.GroupOf);
        model.train();
        using var images64 = images.to_type(ScalarType.Float64);
        using var logits = model.forward(images64);
        using var loss = nn.functional.cross_entropy(logits, labels);
        optimizer.ZeroGrad();
        loss.backward();
        double lossValue = loss.item<double>();
        foreach (var (n, p) in trainable) tensors.Add(TensorData.ToSafetensors("grad." + n, p.grad!));
        optimizer.Step(plan.Optimisation.LearningRate);
        foreach (var (n, p) in trainable) tensors.Add(TensorData.ToSafetensors("updated." + n, p));
        var groups = trainable.GroupBy(t => plan.GroupOf(t.name)).ToDictionary(g => g.Key, g => plan.Optimisation.For(g.Key).WeightDecay);
        var metadata = new Dictionary<string, string>
        {
            ["case"] = name,
            ["method"] = JsonSerializer.Serialize(method, SpecJson.Options),
            ["loss"] = lossValue.ToString("R", CultureInfo.InvariantCulture),
            ["lr"] = plan.Optimisation.LearningRate.ToString("R", CultureInfo.InvariantCulture),
            ["weight_decay"] = JsonSerializer.Serialize(trainable.ToDictionary(t => t.name, t => groups[plan.GroupOf(t.name)])),
            ["heads"] = plan.Model.Preset.Heads.ToString(CultureInfo.InvariantCulture),
            ["patch"] = plan.Model.Preset.PatchSize.ToString(CultureInfo.InvariantCulture),
        };
        SafetensorsWriter.Write(path, tensors, metadata);
        foreach (var t in optimizer.State.Values) t.Dispose();
    }

    private static string Render(JsonElement r)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Cross-check: one training step of each method against an independent PyTorch implementation");
        sb.AppendLine();
        sb.AppendLine("`./platform bench crosscheck` — the platform's TorchSharp model (golden `vit-tiny-ci` backbone, trainable tensors moved off");
        sb.AppendLine("their zero init, 8 ShapesWorld images, dropout off, float64) against `bench/crosscheck/torch_reference.py`, written from the");
        sb.AppendLine("papers' released code and run with Debian's `python3-torch` " + r.GetProperty("torch").GetString() + " on CPU, from the same inputs and parameters.");
        sb.AppendLine($"Compared: the loss, the gradient of every trainable tensor, and every trainable tensor after one AdamW step (the recipe's weight decay per group). Tolerance: {Tolerance:0e0} absolute.");
        sb.AppendLine("Control (the comparison can fail): the reference with the method's first own tensor moved by a ramp from −1e-3 to 1e-3 must differ by more than the tolerance.");
        sb.AppendLine();
        sb.AppendLine("| method | trainable tensors | loss (platform) | loss (PyTorch) | max gradient difference | max difference after the step | control: tensor moved, gradient difference | verdict |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var c in r.GetProperty("cases").EnumerateArray())
            sb.AppendLine($"| {c.GetProperty("case").GetString()} | {c.GetProperty("tensors").GetInt32()} | {c.GetProperty("loss_platform").GetDouble():F10} | {c.GetProperty("loss_reference").GetDouble():F10} | {c.GetProperty("max_grad_diff").GetDouble():0.0e0} | {c.GetProperty("max_step_diff").GetDouble():0.0e0} | `{c.GetProperty("control_tensor").GetString()}`, {c.GetProperty("control_grad_diff").GetDouble():0.0e0} | {(c.GetProperty("passed").GetBoolean() ? "match" : "**differs**")} |");
        sb.AppendLine();
        sb.AppendLine(r.GetProperty("passed").GetBoolean() ? "**Verdict: every method matches.**" : "**Verdict: differences found (see the table).**");
        return sb.ToString();
    }

    /// <summary>The repository root (the bench runs from its build output inside it).</summary>
    internal static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(Directory.GetCurrentDirectory());
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new Runner.BenchException("run from inside the repository (Platform.sln not found)");
    }
}
