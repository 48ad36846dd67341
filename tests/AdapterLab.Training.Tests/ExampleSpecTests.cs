using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Classification;
using AdapterLab.Training.Api;
using AdapterLab.Training.Runs;
using TorchSharp;

namespace AdapterLab.Training.Tests;

[Collection(TorchCollection.Name)]
public sealed class ExampleSpecTests
{
    private static string ExampleDirectory => Path.Combine(TestPaths.RepoRoot, "examples", "specs");

    private static ExperimentSpec Load(string file) => SpecJson.Deserialize(File.ReadAllText(Path.Combine(ExampleDirectory, file)));

    public static TheoryData<string> ClassificationExamples()
    {
        var data = new TheoryData<string>();
        foreach (var method in Methods.Classification) data.Add($"adapt-{method}.json");
        data.Add("pretrain-vit-tiny-ci.json");
        return data;
    }

    [Theory]
    [MemberData(nameof(ClassificationExamples))]
    public void Every_example_is_valid_and_builds_with_the_catalogue_counts(string file)
    {
        var spec = Load(file);
        Assert.Empty(SpecValidator.Validate(spec));
        var plan = ClassificationPlan.From(spec);
        using var prepared = PreparedModel.Build(plan, null, torch.CPU);
        Assert.Equal(ModelCatalogue.Count(spec).Trainable, prepared.TrainableParameters);
        Assert.Equal(ModelCatalogue.Count(spec).Total, prepared.TotalParameters);
    }

    /// <summary>The examples with the test override of the in-order platform test: few steps, small splits, nothing else changed.</summary>
    private static ExperimentSpec Capped(string file, int steps, int evalInterval) => Load(file) is var spec
        ? spec with
        {
            Data = spec.Data with { TrainSize = 96, ValidationSize = 16, TestSize = 32 },
            Training = spec.Training with { Steps = steps, BatchSize = 16, EvalInterval = evalInterval, CheckpointInterval = evalInterval, WarmupSteps = 0 },
        }
        : throw new InvalidOperationException();

    [Fact]
    public void Pretrain_example_feeds_the_adaptformer_example_and_evaluate_reproduces_its_results()
    {
        var pretrain = ExperimentTrainer.Run(new TrainingJob { Spec = Capped("pretrain-vit-tiny-ci.json", 20, 10), WorkDirectory = TestPaths.TempDirectory(), Threads = 1 },
            new RecordingObserver(), CancellationToken.None);
        Assert.Equal(20, pretrain.FinalStep);

        var spec = Capped("adapt-adaptformer.json", 10, 5);
        var observer = new RecordingObserver();
        var adapted = ExperimentTrainer.Run(new TrainingJob
        {
            Spec = spec, BackboneWeightsPath = pretrain.BackboneWeightsPath, WorkDirectory = TestPaths.TempDirectory(), Threads = 1,
        }, observer, CancellationToken.None);
        Assert.Equal(10, adapted.FinalStep);
        Assert.Equal(ModelCatalogue.Count(spec).Trainable, adapted.TrainableParameters);
        Assert.Contains(observer.Points, p => p.Step == 5 && p.Split == "validation" && p.Domain == "fog");

        var evaluation = ExperimentTrainer.Run(new TrainingJob
        {
            Spec = spec with { Kind = Kinds.Evaluate },
            BackboneWeightsPath = pretrain.BackboneWeightsPath,
            ModelWeightsPath = adapted.OutputWeightsPath,
            WorkDirectory = TestPaths.TempDirectory(),
            Threads = 1,
        }, new RecordingObserver(), CancellationToken.None);
        Assert.Equal(adapted.Results, evaluation.Results);
    }
}
