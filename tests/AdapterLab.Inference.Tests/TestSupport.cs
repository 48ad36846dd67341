using AdapterLab.Contracts.Specs;
using TorchSharp;

namespace AdapterLab.Inference.Tests;

/// <summary>Shared fixtures: the golden ViT beside the repository, one torch thread, tests that touch torch run one at a time.</summary>
public static class TestPaths
{
    public static string VitGolden
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Platform.sln")))
                    return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "vit-golden"));
            throw new DirectoryNotFoundException($"no Platform.sln above {AppContext.BaseDirectory}");
        }
    }
}

/// <summary>A small adaptation spec of the catalogue's test preset.</summary>
public static class Specs
{
    public static ExperimentSpec Adapt(string method, MethodSpec? options = null) => new()
    {
        Kind = Kinds.Adapt,
        Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Named, Name = "test-backbone" },
        Method = (options ?? new MethodSpec()) with { Name = method },
        Data = new DataSpec { LabelFamily = "object-count", SourceDomain = "textured", TrainSize = 64, ValidationSize = 32, TestSize = 32 },
        Training = new TrainingSpec { Steps = 4, BatchSize = 16, Seed = 5 },
    };
}

[CollectionDefinition(Name)]
public sealed class TorchCollection : ICollectionFixture<TorchFixture>
{
    public const string Name = "torch";
}

public sealed class TorchFixture
{
    public TorchFixture() => torch.set_num_threads(1);
}
