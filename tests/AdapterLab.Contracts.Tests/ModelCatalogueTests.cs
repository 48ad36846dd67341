using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Contracts.Tests;

public sealed class ModelCatalogueTests
{
    [Fact]
    public void Vit_tiny_ci_backbone_has_458_592_parameters() =>
        Assert.Equal(458_592, ModelCatalogue.Get("vit-tiny-ci").BackboneParameters());

    [Fact]
    public void AdaptMlp_with_bottleneck_8_on_all_four_blocks_adds_6_560_trainable_parameters()
    {
        var spec = SpecSamples.AdaptFormer(bottleneck: 8);
        var count = ModelCatalogue.Count(spec);
        long head = HeadParameters(spec);
        Assert.Equal(6_560, count.Trainable - head);
        Assert.Equal(6_560, 4 * ModelCatalogue.AdaptMlpParameters(96, 8));
        Assert.Equal(458_592 + 6_560 + head, count.Total);
    }

    [Fact]
    public void Deep_vpt_with_5_tokens_on_vit_lab_s_adds_5_760_trainable_parameters()
    {
        var spec = SpecSamples.LinearProbe with
        {
            Backbone = SpecSamples.LinearProbe.Backbone with { Preset = "vit-lab-s" },
            Method = new MethodSpec { Name = Methods.VptDeep, PromptTokens = 5 },
        };
        Assert.Equal(5_760, ModelCatalogue.Count(spec).Trainable - HeadParameters(spec));
    }

    [Fact]
    public void A_linear_probe_trains_only_the_head()
    {
        var spec = SpecSamples.LinearProbe;
        Assert.Equal(HeadParameters(spec), ModelCatalogue.Count(spec).Trainable);
    }

    private static long HeadParameters(ExperimentSpec spec)
    {
        long width = ModelCatalogue.Get(spec.Backbone.Preset).Width, classes = ModelCatalogue.Classes(spec);
        return width * classes + classes;
    }
}
