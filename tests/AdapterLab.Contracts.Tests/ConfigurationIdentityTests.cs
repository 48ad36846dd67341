using AdapterLab.Contracts.Specs;

namespace AdapterLab.Contracts.Tests;

/// <summary>A configuration is the science of a spec: runs that differ only in bookkeeping and seed share it; science and pinned weights split it.</summary>
public sealed class ConfigurationIdentityTests
{
    private static readonly ExperimentSpec Base = new()
    {
        Name = "lora s1",
        Kind = Kinds.Adapt,
        Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Named, Name = "shapes" },
        Method = new MethodSpec { Name = Methods.Lora, Rank = 8 },
        Data = new DataSpec { LabelFamily = "object-count", SourceDomain = "textured" },
        Training = new TrainingSpec { Steps = 100, BatchSize = 32, Seed = 1 },
    };

    private const string ShaA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string ShaB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    [Fact]
    public void Bookkeeping_and_seed_do_not_change_the_configuration()
    {
        var other = Base with
        {
            Name = "lora s2 (rerun)",
            Tags = ["demo", "nightly"],
            Priority = 5,
            Suite = "adapters-nightly",
            Retry = new RetrySpec { MaxAttempts = 7, OnTrainingFailure = 2 },
            Resources = new ResourcesSpec { Pool = "cuda", Device = "cuda" },
            Training = Base.Training with { Seed = 2, EvalInterval = 10, CheckpointInterval = 25, CheckpointRetention = "all", Attention = AttentionKernels.Composed },
        };
        Assert.Equal(ConfigurationIdentity.Hash(Base, ShaA), ConfigurationIdentity.Hash(other, ShaA));
        Assert.Equal(ConfigurationIdentity.Hash(Base, null), ConfigurationIdentity.Hash(other, null));
    }

    [Fact]
    public void Science_changes_the_configuration()
    {
        var h = ConfigurationIdentity.Hash(Base, ShaA);
        Assert.NotEqual(h, ConfigurationIdentity.Hash(Base with { Training = Base.Training with { LearningRate = 0.01 } }, ShaA));
        Assert.NotEqual(h, ConfigurationIdentity.Hash(Base with { Method = Base.Method with { Rank = 4 } }, ShaA));
        Assert.NotEqual(h, ConfigurationIdentity.Hash(Base with { Data = Base.Data with { TrainSize = 500 } }, ShaA));
        Assert.NotEqual(h, ConfigurationIdentity.Hash(Base with { Training = Base.Training with { Steps = 200 } }, ShaA));
        Assert.NotEqual(h, ConfigurationIdentity.Hash(Base with { Training = Base.Training with { Precision = Precisions.Bf16 } }, ShaA));
        Assert.Equal(h, ConfigurationIdentity.Hash(Base with { Training = Base.Training with { Precision = Precisions.Fp32 } }, ShaA));
    }

    [Fact]
    public void The_pinned_backbone_weights_not_its_name_identify_it()
    {
        // One name registered twice over time (two different weights) must not merge...
        Assert.NotEqual(ConfigurationIdentity.Hash(Base, ShaA), ConfigurationIdentity.Hash(Base, ShaB));
        // ...and the same weights reached under another name (or from the experiment that produced them) are one backbone.
        var renamed = Base with { Backbone = Base.Backbone with { Name = "same-weights-other-name" } };
        Assert.Equal(ConfigurationIdentity.Hash(Base, ShaA), ConfigurationIdentity.Hash(renamed, ShaA));
        var byExperiment = Base with { Backbone = Base.Backbone with { Source = BackboneSources.Experiment, Name = null, ExperimentId = Guid.NewGuid() } };
        Assert.Equal(ConfigurationIdentity.Hash(Base, ShaA), ConfigurationIdentity.Hash(byExperiment, ShaA));
        // Before the pin, the name stands in.
        Assert.NotEqual(ConfigurationIdentity.Hash(Base, null), ConfigurationIdentity.Hash(renamed, null));
    }
}
