using AdapterLab.Contracts.Specs;
using AdapterLab.Web.Components.Specs;
using AdapterLab.Web.Dashboard;
using AngleSharp.Dom;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace AdapterLab.Web.Tests;

/// <summary>The submit form: options that apply, validation as you type next to the field, preview, parameter count.</summary>
public sealed class SpecEditorTests : MudTestContext
{
    private IRenderedComponent<SpecEditor> RenderEditor(SpecForm form) =>
        Render<SpecEditor>(p => p.Add(x => x.Form, form).Add(x => x.Backbones, ["fixture-vit-tiny-ci"]));

    private static IElement ControlOf(IRenderedComponent<SpecEditor> cut, string field) =>
        cut.Find($"[data-field='{field}']").Closest(".mud-input-control")!;

    [Fact]
    public void A_valid_default_spec_shows_no_field_errors_and_previews_its_json()
    {
        var cut = RenderEditor(new SpecForm { Name = "probe" });
        Assert.Empty(cut.FindAll(".mud-input-error"));
        var preview = cut.Find("[data-testid='spec-preview']").TextContent;
        Assert.Equal(SpecJson.Serialize(new SpecForm { Name = "probe" }.ToSpec(), indented: true), preview);
    }

    [Fact]
    public void Typing_an_invalid_value_shows_the_validator_message_next_to_that_field()
    {
        var cut = RenderEditor(new SpecForm());
        cut.Find("[data-field='training.steps']").Input("0");
        // MudBlazor validates on its own render cycle after the input event; wait for it rather than read the DOM at once.
        cut.WaitForAssertion(() =>
            Assert.Contains("must be between 1 and 10,000,000", ControlOf(cut, "training.steps").TextContent), TimeSpan.FromSeconds(5));
        // …and only there: the batch size field stays clean.
        Assert.DoesNotContain("must be", ControlOf(cut, "training.batchSize").TextContent);

        cut.Find("[data-field='training.steps']").Input("50");
        cut.WaitForAssertion(() =>
            Assert.DoesNotContain("must be between", ControlOf(cut, "training.steps").TextContent), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Errors_use_the_same_paths_as_the_api()
    {
        var form = new SpecForm { Method = Methods.Lora, Rank = 100000 };
        var cut = RenderEditor(form);
        var expected = SpecValidator.Validate(form.ToSpec())["method.rank"].Single();
        Assert.Contains(expected, ControlOf(cut, "method.rank").TextContent);
    }

    [Fact]
    public void Only_the_options_of_the_chosen_method_are_shown()
    {
        var cut = RenderEditor(new SpecForm { Method = Methods.AdaptFormer });
        Assert.NotEmpty(cut.FindAll("[data-field='method.bottleneck']"));
        Assert.Empty(cut.FindAll("[data-field='method.rank']"));

        var probe = RenderEditor(new SpecForm { Method = Methods.LinearProbe });
        Assert.Empty(probe.FindAll("[data-testid='method-options']"));
    }

    [Fact]
    public void The_exact_trainable_parameter_count_comes_from_the_catalogue()
    {
        var form = new SpecForm { Method = Methods.AdaptFormer, Bottleneck = 8 };
        var cut = RenderEditor(form);
        var count = Contracts.Catalogue.ModelCatalogue.Count(form.ToSpec());
        Assert.Equal(count.Trainable.ToString("N0"), cut.Find("[data-testid='trainable-parameters']").TextContent);
    }

    [Fact]
    public void Registering_a_backbone_is_offered_only_for_pretrain()
    {
        Assert.Empty(RenderEditor(new SpecForm { Kind = Kinds.Adapt }).FindAll("[data-field='backbone.registerAs']"));
        Assert.NotEmpty(RenderEditor(new SpecForm { Kind = Kinds.Pretrain, Method = Methods.Supervised }).FindAll("[data-field='backbone.registerAs']"));
    }
}
