using AdapterLab.Contracts.Specs;

namespace AdapterLab.Training.Tests;

/// <summary>Tiny specs that keep unit tests fast on two shared cores.</summary>
public static class Specs
{
    public static ExperimentSpec Pretrain(int steps = 4) => new()
    {
        Kind = Kinds.Pretrain,
        Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Random, RegisterAs = "test-backbone" },
        Method = new MethodSpec { Name = Methods.Supervised },
        Data = new DataSpec { LabelFamily = "largest-shape", SourceDomain = "synthetic", TrainSize = 64, ValidationSize = 32, TestSize = 32 },
        Training = new TrainingSpec { Steps = steps, BatchSize = 16, Seed = 3 },
    };

    public static ExperimentSpec Adapt(string method, int steps = 4, MethodSpec? options = null, double? learningRate = null) => new()
    {
        Kind = Kinds.Adapt,
        Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Named, Name = "test-backbone" },
        Method = (options ?? new MethodSpec()) with { Name = method },
        Data = new DataSpec
        {
            LabelFamily = "object-count", SourceDomain = "textured", TargetDomains = ["fog"],
            TrainSize = 64, ValidationSize = 32, TestSize = 32,
        },
        Training = new TrainingSpec { Steps = steps, BatchSize = 16, Seed = 5, LearningRate = learningRate },
    };
}
