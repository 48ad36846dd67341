using AdapterLab.Contracts.Specs;
using AdapterLab.Web.Dashboard;

namespace AdapterLab.Web.Tests;

public sealed class SpecFormTests
{
    [Fact]
    public void A_spec_survives_the_round_trip_through_the_form()
    {
        var spec = new ExperimentSpec
        {
            Name = "af", Kind = Kinds.Adapt,
            Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Named, Name = "bb" },
            Method = new MethodSpec { Name = Methods.AdaptFormer, Bottleneck = 8, Scale = 0.2, Layers = [0, 2] },
            Data = new DataSpec { LabelFamily = "object-count", SourceDomain = "textured", TargetDomains = ["fog"], TrainSize = 128 },
            Training = new TrainingSpec { Steps = 10, EvalInterval = 5, Seed = 3 },
            Tags = ["x", "y"],
        };
        Assert.Equal(SpecJson.Serialize(spec), SpecJson.Serialize(SpecForm.FromSpec(spec).ToSpec()));
    }

    [Theory]
    [InlineData("domain-adaptation")]
    [InlineData("zero-shot")]
    [InlineData("negative-control")]
    public void Multitask_options_without_controls_survive_the_round_trip(string which)
    {
        var spec = new ExperimentSpec
        {
            Kind = Kinds.Multitask, Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Named, Name = "bb" },
            Method = new MethodSpec { Name = Methods.Vtagml, AffinityStep = 0.3, AffinityInterval = 20 },
            Tasks = [Tasks.Segmentation, Tasks.Depth, Tasks.Normals],
            Data = which switch
            {
                "domain-adaptation" => new DataSpec { Setting = Settings.DomainAdaptation, TargetDomains = ["fog"], Adaptation = AdaptationModes.Adversarial },
                "zero-shot" => new DataSpec { Setting = Settings.ZeroShotTaskTransfer, TargetDomains = ["fog"], ZeroShotTasks = [Tasks.Normals] },
                _ => new DataSpec { Setting = Settings.DomainGeneralization, TargetDomains = ["fog"], ShuffleTargets = true },
            },
            Training = new TrainingSpec { Steps = 10 },
        };
        Assert.Empty(SpecValidator.Validate(spec));
        Assert.Equal(SpecJson.Serialize(spec), SpecJson.Serialize(SpecForm.FromSpec(spec).ToSpec()));
    }

    [Theory]
    [InlineData("mae-stream")]
    [InlineData("mae-folder")]
    [InlineData("supervised-stream")]
    [InlineData("few-labels")]
    [InlineData("several-heads")]
    public void Pretraining_and_data_options_survive_the_round_trip_and_are_valid(string which)
    {
        var spec = which switch
        {
            "mae-stream" => new ExperimentSpec
            {
                Kind = Kinds.Pretrain, Backbone = new BackboneSpec { Preset = "vit-tiny-ci", RegisterAs = "m" },
                Method = new MethodSpec { Name = Methods.Mae, MaskRatio = 0.6 },
                Data = new DataSpec { Stream = true, HeldOutDomains = ["fog", "noisy-photo"] },
                Training = new TrainingSpec { Steps = 10 },
            },
            "mae-folder" => new ExperimentSpec
            {
                Kind = Kinds.Pretrain, Backbone = new BackboneSpec { Preset = "vit-tiny-ci" },
                Method = new MethodSpec { Name = Methods.Mae },
                Data = new DataSpec { Dataset = Datasets.Folder, Path = "mnist" },
                Training = new TrainingSpec { Steps = 10 },
            },
            "supervised-stream" => new ExperimentSpec
            {
                Kind = Kinds.Pretrain, Backbone = new BackboneSpec { Preset = "vit-tiny-ci" },
                Method = new MethodSpec { Name = Methods.Supervised },
                Data = new DataSpec { LabelFamily = "leftmost-shape", Stream = true },
                Training = new TrainingSpec { Steps = 10 },
            },
            "several-heads" => new ExperimentSpec
            {
                Kind = Kinds.Pretrain, Backbone = new BackboneSpec { Preset = "vit-tiny-ci" },
                Method = new MethodSpec { Name = Methods.Supervised },
                Data = new DataSpec { LabelFamilies = ["largest-shape", "topmost-shape"], Stream = true },
                Training = new TrainingSpec { Steps = 10 },
            },
            _ => new ExperimentSpec
            {
                Kind = Kinds.Adapt, Backbone = new BackboneSpec { Preset = "vit-tiny-ci" },
                Method = new MethodSpec { Name = Methods.LinearProbe },
                Data = new DataSpec { Dataset = Datasets.Folder, Path = "mnist", PerClass = 10 },
                Training = new TrainingSpec { Steps = 10 },
            },
        };
        Assert.Empty(SpecValidator.Validate(spec));
        Assert.Equal(SpecJson.Serialize(spec), SpecJson.Serialize(SpecForm.FromSpec(spec).ToSpec()));
    }

    [Fact]
    public void Options_of_another_method_never_reach_the_spec()
    {
        var form = new SpecForm { Method = Methods.AdaptFormer, Bottleneck = 8 };
        form.Method = Methods.Lora;
        var spec = form.ToSpec();
        Assert.Null(spec.Method.Bottleneck);
        Assert.Empty(SpecValidator.Validate(spec));
    }

    [Fact]
    public void Option_visibility_is_what_the_validator_accepts()
    {
        Assert.Equal(["bottleneck", "scale", "learnableScale", "placement", "adapterNorm", "dropout", "layers"],
            SpecVocabulary.OptionsFor(Kinds.Adapt, Methods.AdaptFormer).OrderBy(o => SpecVocabulary.Options.Keys.ToList().IndexOf(o)));
        Assert.Equal(["layers", "rank", "alpha"],
            SpecVocabulary.OptionsFor(Kinds.Adapt, Methods.Lora).OrderBy(o => SpecVocabulary.Options.Keys.ToList().IndexOf(o)));
        Assert.Empty(SpecVocabulary.OptionsFor(Kinds.Adapt, Methods.LinearProbe));
    }

    [Fact]
    public void Changing_the_kind_picks_a_method_it_accepts()
    {
        var form = new SpecForm { Kind = Kinds.Pretrain };
        form.NormalizeMethod();
        Assert.Equal(Methods.Supervised, form.Method);
    }

    [Fact]
    public void Changing_the_kind_picks_a_setting_it_accepts_so_the_form_accepts_its_own_choice()
    {
        var form = new SpecForm { Kind = Kinds.Multitask };
        form.NormalizeMethod();
        Assert.Equal(Settings.Multitask, form.Setting);
        Assert.DoesNotContain(SpecValidator.Validate(form.ToSpec()), e => e.Key == "data.setting");
        form.Setting = Settings.ZeroShotTaskTransfer;
        form.Kind = Kinds.Adapt;
        form.NormalizeMethod();
        Assert.Equal(Settings.Supervised, form.Setting);
        Assert.DoesNotContain(SpecValidator.Validate(form.ToSpec()), e => e.Key == "data.setting");
    }
}
