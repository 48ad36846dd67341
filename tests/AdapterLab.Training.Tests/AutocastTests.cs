using System.Text.Json;
using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Safetensors;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Api;
using AdapterLab.Training.Classification;
using AdapterLab.Training.Datasets.ShapesWorld;
using AdapterLab.Training.Model;
using AdapterLab.Training.Multitask;
using AdapterLab.Training.Tests.Multitask;
using AdapterLab.Training.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Tests;

/// <summary>
/// <c>training.precision: bf16</c>: products in bf16 on fp32 master weights. The runs switch it off on the CPU, so these
/// tests enter the scope themselves (libtorch has CPU bf16 kernels) to check the path a CUDA agent takes.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class AutocastTests
{
    /// <summary>
    /// bf16 keeps 8 significant bits (its spacing at 1 is 7.8e-3, and the head's output is itself a bf16 number):
    /// vit-tiny-ci's logits (|logit| ≈ 1) move by up to ~2 spacings (1.7e-2 measured).
    /// </summary>
    public const double Bf16LogitTolerance = 3e-2;

    private static (float[] Fp32, float[] Bf16, double[] Expected) GoldenLogits()
    {
        const string file = "vit-tiny-ci-f32.safetensors";
        var preset = ModelCatalogue.Get("vit-tiny-ci");
        using var model = new VisionTransformer(new VisionTransformerOptions(preset, preset.ImageSize, 5));
        ViTWeights.Load(model, Path.Combine(TestPaths.VitGolden, file), includeHead: true);
        model.eval();
        using var reader = SafetensorsReader.Open(Path.Combine(TestPaths.VitGolden, "input.safetensors"));
        using var pixels = TensorData.Read(reader, "pixels");
        using var _ = torch.no_grad();
        float[] fp32, bf16;
        using (var logits = model.forward(pixels)) fp32 = logits.data<float>().ToArray();
        using (Autocast.Enter(Autocast.Bf16))
        using (var logits = model.forward(pixels))
        {
            Assert.Equal(ScalarType.Float32, logits.dtype);
            bf16 = logits.data<float>().ToArray();
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.VitGolden, "expected.json")));
        var expected = doc.RootElement.GetProperty("logits").GetProperty(file).EnumerateArray()
            .SelectMany(row => row.EnumerateArray().Select(v => v.GetDouble())).ToArray();
        return (fp32, bf16, expected);
    }

    [Fact]
    public void Bf16_logits_stay_within_bf16_rounding_of_the_golden_ones_and_fp32_is_untouched_outside_the_scope()
    {
        var (fp32, bf16, expected) = GoldenLogits();
        Assert.False(Autocast.Active);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - fp32[i]) < 1e-4, $"fp32 logit {i}: {fp32[i]} vs {expected[i]}");
            Assert.True(Math.Abs(expected[i] - bf16[i]) < Bf16LogitTolerance, $"bf16 logit {i}: {bf16[i]} vs {expected[i]}");
        }
        // The scope did something: bf16 rounding moves the logits (an fp32 pass would match to ~1e-7).
        Assert.True(fp32.Zip(bf16).Max(p => Math.Abs(p.First - p.Second)) > 1e-4);
    }

    [Fact]
    public void Scopes_nest_and_restore_and_the_run_switches_bf16_off_on_the_cpu()
    {
        Assert.False(Autocast.Active);
        using (Autocast.Enter(Autocast.Bf16))
        {
            Assert.True(Autocast.Active);
            using (Autocast.Enter(Autocast.Fp32)) Assert.False(Autocast.Active);
            Assert.True(Autocast.Active);
            // Thread-local, as torch's autocast state: another thread computes in fp32.
            bool elsewhere = true;
            var other = new Thread(() => elsewhere = Autocast.Active);
            other.Start();
            other.Join();
            Assert.False(elsewhere);
        }
        Assert.False(Autocast.Active);
        Assert.Equal(Autocast.Bf16, Autocast.Effective("bf16", "cuda"));
        Assert.Equal(Autocast.Fp32, Autocast.Effective("bf16", "cpu"));
        Assert.Equal(Autocast.Fp32, Autocast.Effective(null, "cuda"));
        Assert.Equal(Autocast.Fp32, Autocast.Effective("fp32", "cuda"));
    }

    [Theory]
    [InlineData(Methods.FullFinetune)]
    [InlineData(Methods.AdaptFormer)]
    [InlineData(Methods.Lora)]
    [InlineData(Methods.VptDeep)]
    [InlineData(Methods.BitFit)]
    public void Bf16_steps_keep_fp32_master_weights_and_gradients_and_learn_a_fixed_batch(string method)
    {
        var spec = new ExperimentSpec
        {
            Kind = Kinds.Adapt,
            Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Random },
            Method = new MethodSpec { Name = method },
            Data = new DataSpec { LabelFamily = "largest-shape", SourceDomain = "synthetic", TrainSize = 16, ValidationSize = 16, TestSize = 16 },
            Training = new TrainingSpec { Steps = 1000, BatchSize = 16, Seed = 2, LearningRate = 3e-3, Precision = Precisions.Bf16 },
        };
        var plan = ClassificationPlan.From(spec);
        using var prepared = PreparedModel.Build(plan, null, torch.CPU);
        var optimizer = plan.Optimisation.Create(prepared.Trainable, plan.GroupOf);
        var split = plan.Split(plan.SourceDomain, DataSplit.Train);
        int[] batch = Enumerable.Range(0, 16).ToArray();

        var losses = new List<double>();
        using (Autocast.Enter(Autocast.Bf16))
        {
            for (int s = 0; s < 12; s++) losses.Add(ClassificationRun.TrainStep(prepared.Model, plan, optimizer, 3e-3, split, null, batch, s, torch.CPU));

            // One more forward + backward by hand to look at the gradients the optimiser receives.
            using var scope = torch.NewDisposeScope();
            prepared.Model.zero_grad();
            var loss = nn.functional.cross_entropy(prepared.Model.forward(split.ImagesTensor(batch, torch.CPU)), split.LabelsTensor(batch, torch.CPU));
            loss.backward();
            foreach (var t in prepared.Trainable)
            {
                Assert.Equal(ScalarType.Float32, t.Parameter.dtype);
                Assert.NotNull(t.Parameter.grad);
                Assert.Equal(ScalarType.Float32, t.Parameter.grad!.dtype);
            }
            Assert.Contains(prepared.Trainable, t => t.Parameter.grad!.abs().max().item<float>() > 0);
        }
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        Assert.True(losses[^1] < losses[0], $"{method}: loss {losses[0]:0.###} → {losses[^1]:0.###} on one repeated batch");
    }

    [Fact]
    public void The_multitask_model_runs_under_bf16_close_to_fp32()
    {
        torch.random.manual_seed(1);
        var spec = MultitaskUnitTests.Spec();
        var plan = MultitaskPlan.From(spec);
        using var model = new MultitaskModel(plan);
        model.InitialiseAdaptersFromEncoder();
        model.eval();
        using var x = torch.randn(2, 3, 32, 32);
        using var _ = torch.no_grad();
        var fp32 = model.Forward(x, plan.Tasks);
        Dictionary<string, Tensor> bf16;
        using (Autocast.Enter(Autocast.Bf16)) bf16 = model.Forward(x, plan.Tasks);
        foreach (var task in plan.Tasks)
        {
            Assert.Equal(ScalarType.Float32, bf16[task].dtype);
            double scale = fp32[task].abs().max().item<float>();
            double diff = (fp32[task] - bf16[task]).abs().max().item<float>();
            Assert.True(diff < 0.05 * Math.Max(scale, 1e-3), $"{task}: max |Δ| {diff} at scale {scale}");
            Assert.True(diff > 0, $"{task}: bf16 changed nothing");
        }
    }

    [Fact]
    public void A_bf16_spec_on_the_cpu_trains_in_fp32_and_its_provenance_says_so()
    {
        var spec = Specs.Pretrain(steps: 2);
        var fp32 = new RecordingObserver();
        var plain = ExperimentTrainer.Run(new TrainingJob { Spec = spec, WorkDirectory = TestPaths.TempDirectory(), Threads = 1 }, fp32, CancellationToken.None);
        var asked = new RecordingObserver();
        var bf16 = ExperimentTrainer.Run(new TrainingJob
        {
            Spec = spec with { Training = spec.Training with { Precision = Precisions.Bf16 } }, WorkDirectory = TestPaths.TempDirectory(), Threads = 1,
        }, asked, CancellationToken.None);
        Assert.Equal("fp32", fp32.Start!.Precision);
        Assert.Equal("fp32 (bf16 is off on cpu)", asked.Start!.Precision);
        Assert.Equal(fp32.Losses.Select(l => l.Loss), asked.Losses.Select(l => l.Loss));
        Assert.Equal(plain.Results.Select(r => r.Value), bf16.Results.Select(r => r.Value));
    }
}
