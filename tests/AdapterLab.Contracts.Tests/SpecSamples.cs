using AdapterLab.Contracts.Specs;

namespace AdapterLab.Contracts.Tests;

/// <summary>Valid specs the tests start from and then break one field at a time.</summary>
public static class SpecSamples
{
    public static ExperimentSpec Pretrain => new()
    {
        Name = "pretrain-tiny",
        Kind = Kinds.Pretrain,
        Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Random, RegisterAs = "tiny-synthetic" },
        Method = new MethodSpec { Name = Methods.Supervised },
        Data = new DataSpec { LabelFamily = "largest-shape", SourceDomain = "synthetic" },
        Training = new TrainingSpec { Steps = 200, BatchSize = 64, Seed = 1 },
    };

    public static ExperimentSpec LinearProbe => new()
    {
        Name = "probe-tiny",
        Kind = Kinds.Adapt,
        Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Named, Name = "tiny-synthetic" },
        Method = new MethodSpec { Name = Methods.LinearProbe },
        Data = new DataSpec { LabelFamily = "object-count", SourceDomain = "textured", TargetDomains = ["fog", "noisy-photo"] },
        Training = new TrainingSpec { Steps = 100 },
        Tags = ["ci"],
    };

    public static ExperimentSpec AdaptFormer(int bottleneck = 8) => LinearProbe with
    {
        Method = new MethodSpec { Name = Methods.AdaptFormer, Bottleneck = bottleneck },
    };

    /// <summary>A valid spec as the JSON a client would send.</summary>
    public const string LinearProbeJson = """
        {
          "specVersion": 1,
          "name": "probe-tiny",
          "kind": "adapt",
          "backbone": { "preset": "vit-tiny-ci", "source": "named", "name": "tiny-synthetic" },
          "method": { "name": "linear-probe" },
          "tasks": ["classification"],
          "data": { "dataset": "shapesworld", "labelFamily": "object-count", "sourceDomain": "textured", "targetDomains": ["fog"] },
          "training": { "steps": 100, "batchSize": 32, "seed": 3 },
          "tags": ["ci"]
        }
        """;
}
