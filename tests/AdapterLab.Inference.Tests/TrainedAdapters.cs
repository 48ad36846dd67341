using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Classification;
using AdapterLab.Training.Model;
using AdapterLab.Training.Serving;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Inference.Tests;

/// <summary>
/// One golden backbone and an adapter of every servable method on it, each a real model of its method whose trained
/// tensors were moved off their identity initialisation (and its head statistics off 0/1), so a serving path that skipped
/// a branch or applied it to the wrong rows would show. Also an <see cref="IServingSource"/> handing out fresh copies.
/// </summary>
public sealed class TrainedAdapters : IServingSource, IDisposable
{
    public const string BackboneSha = "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12";
    public static string GoldenBackbone => Path.Combine(TestPaths.VitGolden, "vit-tiny-ci-f32.safetensors");

    /// <summary>Every servable method, three AdaptFormer layouts and three prompt lengths (so slots need padding and masks).</summary>
    public static readonly (string Key, string Method, MethodSpec Options, int Classes)[] Variants =
    [
        ("probe", Methods.LinearProbe, new MethodSpec(), 4),
        ("vpt-shallow-5", Methods.VptShallow, new MethodSpec { PromptTokens = 5 }, 3),
        ("vpt-deep-10", Methods.VptDeep, new MethodSpec { PromptTokens = 10 }, 4),
        ("vpt-deep-3", Methods.VptDeep, new MethodSpec { PromptTokens = 3 }, 5),
        ("adaptformer", Methods.AdaptFormer, new MethodSpec { Bottleneck = 8, Layers = [0, 2, 3] }, 4),
        ("adaptformer-seq", Methods.AdaptFormer, new MethodSpec { Bottleneck = 4, Placement = "sequential", AdapterNorm = "out", LearnableScale = true }, 2),
        ("adaptformer-in", Methods.AdaptFormer, new MethodSpec { Bottleneck = 6, AdapterNorm = "in", Scale = 0.5 }, 4),
        ("lora", Methods.Lora, new MethodSpec { Rank = 4, Alpha = 8, Layers = [1, 2] }, 4),
        ("bitfit", Methods.BitFit, new MethodSpec(), 6),
    ];

    private readonly List<IDisposable> owned = [];
    private readonly Dictionary<string, ClassificationPlan> plans = new();

    public TrainedAdapters()
    {
        var plain = Own(new VisionTransformer(new VisionTransformerOptions(ModelCatalogue.Get("vit-tiny-ci"), 32, 1)));
        ViTWeights.Load(plain, GoldenBackbone);
        Plain = plain;
        Backbone = Own(ServedBackbone.From(plain, BackboneSha, torch.CPU));
        int seed = 1;
        foreach (var (key, method, options, classes) in Variants)
        {
            var plan = ClassificationPlan.From(Spec(method, options, seed++));
            plan = plan with { Model = plan.Model with { Classes = classes } };
            var prepared = Own(PreparedModel.Build(plan, GoldenBackbone, torch.CPU));
            Perturb(prepared.Model, plan, seed);
            prepared.Model.eval();
            plans[key] = plan;
            Adapters[key] = (Own(ServedAdapter.From(key, method, prepared.Model, plan.IsTrainable, BackboneSha, torch.CPU)), prepared.Model);
        }
    }

    public VisionTransformer Plain { get; }
    public ServedBackbone Backbone { get; }
    public Dictionary<string, (ServedAdapter Served, VisionTransformer Model)> Adapters { get; } = new();

    /// <summary>How many times the source was asked for each adapter (the cache's loads).</summary>
    public Dictionary<string, int> LoadsOf { get; } = new();

    public ServedBackbone LoadBackbone(string sha256) =>
        sha256 == BackboneSha ? ServedBackbone.From(Plain, BackboneSha, torch.CPU) : throw new FileNotFoundException($"no backbone {sha256}");

    public ServedAdapter LoadAdapter(string key)
    {
        LoadsOf[key] = LoadsOf.GetValueOrDefault(key) + 1;
        var (_, model) = Adapters.TryGetValue(key, out var a) ? a : throw new KeyNotFoundException($"no adapter '{key}'");
        return ServedAdapter.From(key, Variants.Single(v => v.Key == key).Method, model, plans[key].IsTrainable, BackboneSha, torch.CPU);
    }

    /// <summary>Moves every trained tensor off its initial value and gives the head non-trivial normalisation statistics.</summary>
    private static void Perturb(VisionTransformer model, ClassificationPlan plan, int seed)
    {
        using var _ = torch.no_grad();
        using var g = new Generator((ulong)(1000 + seed), torch.CPU);
        foreach (var (name, p) in model.named_parameters())
            if (plan.IsTrainable(name)) p.add_(torch.randn(p.shape, generator: g).mul(name.EndsWith("scale") ? 0.3 : 0.2));
        foreach (var (name, b) in model.named_buffers())
        {
            if (name.EndsWith("running_mean")) b.copy_(torch.randn(b.shape, generator: g).mul(0.1));
            else if (name.EndsWith("running_var")) b.copy_(torch.rand(b.shape, generator: g).add(0.5));
        }
    }

    public static ExperimentSpec Spec(string method, MethodSpec options, int seed)
    {
        var spec = Specs.Adapt(method, options: options);
        return spec with
        {
            Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Named, Name = "b" },
            Training = spec.Training with { Seed = seed },
        };
    }

    private T Own<T>(T disposable) where T : IDisposable
    {
        owned.Add(disposable);
        return disposable;
    }

    public void Dispose()
    {
        for (int i = owned.Count - 1; i >= 0; i--) owned[i].Dispose();
    }
}
