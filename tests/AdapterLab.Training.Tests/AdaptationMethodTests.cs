using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Classification;
using AdapterLab.Training.Datasets.ShapesWorld;
using AdapterLab.Training.Model;
using AdapterLab.Training.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Tests;

[Collection(TorchCollection.Name)]
public sealed class AdaptationMethodTests
{
    private static string GoldenBackbone => Path.Combine(TestPaths.VitGolden, "vit-tiny-ci-f32.safetensors");

    private static ExperimentSpec Spec(string method, MethodSpec? options = null, string preset = "vit-tiny-ci", double? lr = null) =>
        Specs.Adapt(method, options: options, learningRate: lr) with { Backbone = new BackboneSpec { Preset = preset, Source = BackboneSources.Named, Name = "b" } };

    public static TheoryData<string, string, MethodSpec, long> CountCases => new()
    {
        // Hand-computed from the shapes (head for 4 classes: d·4 + 4 = 388 on d 96, 772 on d 192).
        { Methods.LinearProbe, "vit-tiny-ci", new MethodSpec(), 0 },
        { Methods.FullFinetune, "vit-tiny-ci", new MethodSpec(), 458_592 },
        { Methods.AdaptFormer, "vit-tiny-ci", new MethodSpec { Bottleneck = 8 }, 6_560 },
        { Methods.AdaptFormer, "vit-tiny-ci", new MethodSpec { Bottleneck = 8, Layers = [1, 3], LearnableScale = true, AdapterNorm = "in" }, 2 * (1_640 + 1 + 192) },
        { Methods.VptShallow, "vit-tiny-ci", new MethodSpec { PromptTokens = 5 }, 480 },
        { Methods.VptDeep, "vit-lab-s", new MethodSpec { PromptTokens = 5 }, 5_760 },
        { Methods.Lora, "vit-tiny-ci", new MethodSpec { Rank = 8 }, 12_288 },
        { Methods.BitFit, "vit-tiny-ci", new MethodSpec(), 4_416 },
    };

    [Theory]
    [MemberData(nameof(CountCases))]
    public void Trainable_parameters_equal_hand_computed_constants(string method, string preset, MethodSpec options, long extra)
    {
        var spec = Spec(method, options, preset);
        long d = ModelCatalogue.Get(preset).Width, head = d * 4 + 4;
        using var prepared = PreparedModel.Build(ClassificationPlan.From(spec), null, torch.CPU);
        Assert.Equal(extra + head, prepared.TrainableParameters);
        var count = ModelCatalogue.Count(spec);
        Assert.Equal(count.Trainable, prepared.TrainableParameters);
        Assert.Equal(count.Total, prepared.TotalParameters);
        Assert.Equal(prepared.TrainableParameters, prepared.Trainable.Sum(p => p.Parameter.numel()));
        Assert.All(prepared.Model.named_parameters(), p => Assert.Equal(prepared.Trainable.Any(t => t.Name == p.name), p.parameter.requires_grad));
    }

    public static TheoryData<string, MethodSpec> IdentityCases => new()
    {
        { Methods.AdaptFormer, new MethodSpec { Bottleneck = 8 } },
        { Methods.AdaptFormer, new MethodSpec { Bottleneck = 8, Placement = "sequential", AdapterNorm = "out" } },
        { Methods.AdaptFormer, new MethodSpec { Bottleneck = 16, LearnableScale = true, AdapterNorm = "in", Layers = [0, 2] } },
        { Methods.Lora, new MethodSpec { Rank = 4, Alpha = 8 } },
        { Methods.BitFit, new MethodSpec() },
    };

    [Theory]
    [MemberData(nameof(IdentityCases))]
    public void Identity_initialised_methods_equal_the_frozen_backbone_at_step_0(string method, MethodSpec options)
    {
        using var pixels = Batch(8);
        using var reference = BackboneFeatures(pixels);
        using var prepared = PreparedModel.Build(ClassificationPlan.From(Spec(method, options)), GoldenBackbone, torch.CPU);
        using var adapted = Features(prepared.Model, pixels);
        double diff = (adapted - reference).abs().max().item<float>();
        Assert.True(diff < 1e-6, $"max |Δ| {diff}");
    }

    [Theory]
    [InlineData(Methods.VptShallow)]
    [InlineData(Methods.VptDeep)]
    public void Prompts_change_the_output_at_step_0(string method)
    {
        using var pixels = Batch(8);
        using var reference = BackboneFeatures(pixels);
        using var prepared = PreparedModel.Build(ClassificationPlan.From(Spec(method)), GoldenBackbone, torch.CPU);
        using var prompted = Features(prepared.Model, pixels);
        Assert.True((prompted - reference).abs().max().item<float>() > 1e-3);
        var prompts = prepared.Model.named_parameters().Single(p => p.name == "prompt_embeddings").parameter;
        double bound = Math.Sqrt(6.0 / (3 * 4 * 4 + 96));
        Assert.Equal(method == Methods.VptDeep ? new long[] { 4, 5, 96 } : [1, 5, 96], prompts.shape);
        Assert.True(prompts.abs().max().item<float>() <= bound);
    }

    [Fact]
    public void AdaptMlp_down_projection_gets_no_gradient_until_up_has_moved()
    {
        var plan = ClassificationPlan.From(Spec(Methods.AdaptFormer, new MethodSpec { Bottleneck = 8, Dropout = 0 }, lr: 0.05));
        using var prepared = PreparedModel.Build(plan, GoldenBackbone, torch.CPU);
        var optimizer = plan.Optimisation.Create(prepared.Trainable, plan.GroupOf);
        var down = prepared.Trainable.Single(p => p.Name == "blocks.0.adapter.down.weight").Parameter;
        var up = prepared.Trainable.Single(p => p.Name == "blocks.0.adapter.up.weight").Parameter;
        var (pixels, labels) = Labelled(16);

        Step(prepared.Model, optimizer, pixels, labels, 0.05, out _);
        Assert.Equal(0f, GradientNorm(down));
        Assert.True(GradientNorm(up) > 0, string.Join("; ", prepared.Trainable.Select(t => $"{t.Name}={GradientNorm(t.Parameter)}")));

        Step(prepared.Model, optimizer, pixels, labels, 0.05, out _);
        Assert.True(GradientNorm(down) > 0);
    }

    /// <summary>Rates for the default optimiser (AdamW), about the recipe's defaults at batch 16.</summary>
    public static TheoryData<string, MethodSpec, double> TrainingCases => new()
    {
        { Methods.LinearProbe, new MethodSpec(), 0.01 },
        { Methods.FullFinetune, new MethodSpec(), 1e-3 },
        { Methods.VptShallow, new MethodSpec(), 0.01 },
        { Methods.VptDeep, new MethodSpec(), 0.01 },
        { Methods.AdaptFormer, new MethodSpec { Bottleneck = 8 }, 0.01 },
        { Methods.AdaptFormer, new MethodSpec { Bottleneck = 8, Placement = "sequential", LearnableScale = true }, 0.01 },
        { Methods.Lora, new MethodSpec { Rank = 4 }, 1e-3 },
        { Methods.BitFit, new MethodSpec(), 0.01 },
    };

    [Theory]
    [MemberData(nameof(TrainingCases))]
    public void Training_moves_only_trainable_tensors_and_lowers_the_loss(string method, MethodSpec options, double lr)
    {
        var plan = ClassificationPlan.From(Spec(method, options, lr: lr));
        using var prepared = PreparedModel.Build(plan, GoldenBackbone, torch.CPU);
        var model = prepared.Model;
        var trainableNames = prepared.Trainable.Select(t => t.Name).ToHashSet();
        var frozenBefore = model.named_parameters().Where(p => !trainableNames.Contains(p.name))
            .ToDictionary(p => p.name, p => p.parameter.data<float>().ToArray());
        var (pixels, labels) = Labelled(16);
        using var before = Features(model, pixels);
        var optimizer = plan.Optimisation.Create(prepared.Trainable, plan.GroupOf);

        var losses = new List<double>();
        for (int i = 0; i < 6; i++)
        {
            Step(model, optimizer, pixels, labels, lr, out var loss);
            losses.Add(loss);
            if (i == 0)
            {
                foreach (var (name, p) in model.named_parameters())
                {
                    if (trainableNames.Contains(name)) Assert.True(p.grad is not null, $"{name} trains but has no gradient");
                    else Assert.True(p.grad is null, $"{name} is frozen but has a gradient");
                }
            }
        }
        Assert.True(losses[^1] < losses[0], $"loss did not fall: {string.Join(", ", losses)}");
        foreach (var (name, p) in model.named_parameters().Where(p => !trainableNames.Contains(p.name)))
            Assert.Equal(frozenBefore[name], p.data<float>().ToArray());
        using var after = Features(model, pixels);
        double moved = (after - before).abs().max().item<float>();
        if (method == Methods.LinearProbe) Assert.Equal(0, moved);
        else Assert.True(moved > 1e-5, $"features did not change ({moved})");
    }

    private static void Step(VisionTransformer model, Optimisation.IParameterOptimizer optimizer, Tensor pixels, Tensor labels, double lr, out double loss)
    {
        torch.random.manual_seed(11);
        using var scope = torch.NewDisposeScope();
        model.train();
        var l = nn.functional.cross_entropy(model.forward(pixels), labels);
        loss = l.item<float>();
        optimizer.ZeroGrad();
        l.backward();
        optimizer.Step(lr);
    }

    private static float GradientNorm(Tensor p)
    {
        using var g = p.grad!;
        return g.abs().sum().item<float>();
    }

    private static Tensor Features(VisionTransformer model, Tensor pixels)
    {
        model.eval();
        using var _ = torch.no_grad();
        return model.Features(pixels);
    }

    private static Tensor BackboneFeatures(Tensor pixels)
    {
        using var plain = new VisionTransformer(new VisionTransformerOptions(ModelCatalogue.Get("vit-tiny-ci"), 32, 4));
        ViTWeights.Load(plain, GoldenBackbone);
        return Features(plain, pixels);
    }

    private static Tensor Batch(int n) => Labelled(n).Pixels;

    private static (Tensor Pixels, Tensor Labels) Labelled(int n)
    {
        var split = ShapesWorldDataset.Classification(ShapesWorldDataset.WorldSeed, "textured", "object-count", DataSplit.Train, 32, 32);
        var rows = Enumerable.Range(0, n).ToArray();
        return (split.ImagesTensor(rows, torch.CPU), split.LabelsTensor(rows, torch.CPU));
    }
}
