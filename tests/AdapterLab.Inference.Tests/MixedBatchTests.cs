using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Classification;
using AdapterLab.Training.Datasets.ShapesWorld;
using AdapterLab.Training.Model;
using AdapterLab.Training.Serving;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Inference.Tests;

/// <summary>
/// One frozen backbone serving many adapters in one batch: every group's logits equal its own model run alone
/// (<see cref="VisionTransformer.forward"/> in eval mode) to 1e-5, whatever it is mixed with. Every adapter's trained
/// tensors are perturbed away from their identity initialisation (and its head statistics away from 0/1) first, so an
/// engine that skipped a method's branch, or applied it to the wrong rows, would fail.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class MixedBatchTests : IDisposable
{
    private static string GoldenBackbone => TrainedAdapters.GoldenBackbone;

    private readonly TrainedAdapters trained = new();
    private ServedBackbone backbone => trained.Backbone;
    private Dictionary<string, (ServedAdapter Served, VisionTransformer Model)> adapters => trained.Adapters;
    private const string BackboneSha = TrainedAdapters.BackboneSha;
    private static (string Key, string Method, MethodSpec Options, int Classes)[] Variants => TrainedAdapters.Variants;

    public static TheoryData<string> Keys => new(Variants.Select(v => v.Key));

    [Theory]
    [MemberData(nameof(Keys))]
    public void An_adapter_alone_equals_its_own_model(string key)
    {
        using var pixels = Images(6, offset: 0);
        AssertGroupsEqualModels(pixels, [(key, 6)]);
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void An_adapter_mixed_with_every_other_method_equals_its_own_model(string key)
    {
        // The method under test sits between others, with a different row count from its neighbours.
        var others = Variants.Select(v => v.Key).Where(k => k != key).ToList();
        var layout = new List<(string, int)>();
        for (int i = 0; i < others.Count; i++)
        {
            if (i == others.Count / 2) layout.Add((key, 5));
            layout.Add((others[i], 1 + i % 3));
        }
        using var pixels = Images(layout.Sum(l => l.Item2), offset: 10);
        AssertGroupsEqualModels(pixels, layout);
    }

    [Fact]
    public void The_same_adapter_in_two_groups_and_single_rows_equal_their_models()
    {
        using var pixels = Images(5, offset: 40);
        AssertGroupsEqualModels(pixels, [("vpt-deep-3", 1), ("bitfit", 1), ("vpt-deep-3", 2), ("lora", 1)]);
    }

    [Fact]
    public void Perturbed_adapters_really_differ_from_the_frozen_backbone()
    {
        // Guards the equality tests: if perturbation left an adapter at identity, "equal to its model" would not test its branch.
        using var pixels = Images(4, offset: 60);
        using var _ = torch.no_grad();
        var plainHeadless = adapters["probe"].Model;
        using var frozen = plainHeadless.Features(pixels);
        foreach (var key in Variants.Select(v => v.Key).Where(k => k != "probe"))
        {
            using var features = adapters[key].Model.Features(pixels);
            double diff = (features - frozen).abs().max().item<float>();
            Assert.True(diff > 1e-2, $"{key}: features differ from the frozen backbone's by only {diff}");
        }
    }

    [Fact]
    public void An_adapter_trained_on_another_backbone_is_refused()
    {
        using var other = ServedBackbone.From(adapters["probe"].Model, "ffff" + BackboneSha[4..], torch.CPU);
        using var pixels = Images(2, offset: 0);
        var ex = Assert.Throws<ArgumentException>(() => MixedBatch.Forward(other, pixels, [new RowGroup(adapters["lora"].Served, 2)]));
        Assert.Contains("was trained on backbone ab12cd34ef56, not ffffcd34ef56", ex.Message);
    }

    [Fact]
    public void Rows_that_do_not_add_up_and_wrong_image_sizes_are_refused()
    {
        using var pixels = Images(3, offset: 0);
        var ex = Assert.Throws<ArgumentException>(() => MixedBatch.Forward(backbone, pixels, [new RowGroup(adapters["lora"].Served, 2)]));
        Assert.Contains("groups cover 2 rows, the batch has 3", ex.Message);
        using var small = torch.zeros(1, 3, 16, 16);
        ex = Assert.Throws<ArgumentException>(() => MixedBatch.Forward(backbone, small, [new RowGroup(adapters["lora"].Served, 1)]));
        Assert.Contains("pixels must be [B, 3, 32, 32]", ex.Message);
    }

    [Fact]
    public void Full_fine_tuning_is_not_served_as_an_adapter()
    {
        var plan = ClassificationPlan.From(TrainedAdapters.Spec(Methods.FullFinetune, new MethodSpec(), 3));
        using var prepared = PreparedModel.Build(plan, GoldenBackbone, torch.CPU);
        var ex = Assert.Throws<ArgumentException>(() => ServedAdapter.From("ft", Methods.FullFinetune, prepared.Model, plan.IsTrainable, BackboneSha, torch.CPU));
        Assert.Contains("is a backbone of its own", ex.Message);
    }

    [Fact]
    public void An_adapter_holds_only_its_own_tensors()
    {
        // 100 adapters on one backbone cost the backbone once: each holds its trained tensors and head statistics only.
        var lora = adapters["lora"].Served;
        int d = 96, r = 4;
        long expected = 4L * (2 * 2 * 2 * r * d) + 4L * (4 * d + 4) + 4L * 2 * d; // A and B of q and v on 2 blocks, head, head_norm mean/var
        Assert.Equal(expected, lora.Bytes);
        Assert.True(backbone.Bytes > 20 * lora.Bytes);
    }

    private void AssertGroupsEqualModels(Tensor pixels, IReadOnlyList<(string Key, int Rows)> layout)
    {
        var groups = layout.Select(l => new RowGroup(adapters[l.Key].Served, l.Rows)).ToList();
        var logits = MixedBatch.Forward(backbone, pixels, groups);
        try
        {
            long start = 0;
            for (int g = 0; g < layout.Count; g++)
            {
                var (key, rows) = layout[g];
                using var _ = torch.no_grad();
                using var own = pixels.narrow(0, start, rows);
                using var expected = adapters[key].Model.forward(own);
                Assert.Equal(expected.shape, logits[g].shape);
                double diff = (logits[g] - expected).abs().max().item<float>();
                Assert.True(diff < 1e-5, $"group {g} ('{key}', rows {start}–{start + rows - 1}): max |Δ| {diff}");
                start += rows;
            }
        }
        finally
        {
            foreach (var t in logits) t.Dispose();
        }
    }

    internal static Tensor Images(int n, int offset)
    {
        var split = ShapesWorldDataset.Classification(ShapesWorldDataset.WorldSeed, "textured", "object-count", DataSplit.Validation, 128, 32);
        return split.ImagesTensor(Enumerable.Range(offset, n).ToArray(), torch.CPU);
    }

    public void Dispose() => trained.Dispose();
}
