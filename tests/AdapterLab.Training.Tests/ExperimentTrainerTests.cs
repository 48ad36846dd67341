using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Safetensors;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Classification;
using AdapterLab.Training.Api;

namespace AdapterLab.Training.Tests;

[Collection(TorchCollection.Name)]
public sealed class ExperimentTrainerTests
{
    private static string PretrainedBackbone()
    {
        var outcome = ExperimentTrainer.Run(new TrainingJob { Spec = Specs.Pretrain(), WorkDirectory = TestPaths.TempDirectory(), Threads = 1 },
            new RecordingObserver(), CancellationToken.None);
        return outcome.BackboneWeightsPath!;
    }

    [Fact]
    public void Pretrain_then_linear_probe_end_to_end()
    {
        var spec = Specs.Pretrain();
        var observer = new RecordingObserver();
        var outcome = ExperimentTrainer.Run(new TrainingJob { Spec = spec, WorkDirectory = TestPaths.TempDirectory(), Threads = 1 }, observer, CancellationToken.None);

        Assert.False(outcome.Cancelled);
        Assert.Equal(4, outcome.FinalStep);
        var count = ModelCatalogue.Count(spec);
        Assert.Equal(count.Trainable, outcome.TrainableParameters);
        Assert.Equal(count.Total, outcome.TotalParameters);
        Assert.Equal(count.Total, observer.Start!.TotalParameters);
        Assert.Contains("TorchSharp", observer.Start.Packages.Keys);
        Assert.Contains("libtorch", observer.Start.Packages.Keys);
        Assert.Equal([1, 2, 3, 4], observer.Losses.Select(l => l.Step));
        Assert.Equal(2, outcome.Results.Count); // validation + test on the source domain
        Assert.All(outcome.Results, r => Assert.InRange(r.Value, 0, 1));
        Assert.True(outcome.ImagesPerSecond > 0);
        Assert.True(outcome.PeakMemoryBytes > 0);
        using (var backbone = SafetensorsReader.Open(outcome.BackboneWeightsPath!))
        {
            Assert.DoesNotContain(backbone.Tensors, t => t.Name.StartsWith("head"));
            Assert.Contains(backbone.Tensors, t => t.Name == "blocks.3.attn.qkv.weight");
            Assert.Equal(ModelCatalogue.Get("vit-tiny-ci").BackboneParameters(), backbone.Tensors.Sum(t => t.ElementCount));
        }
        using (var full = SafetensorsReader.Open(outcome.OutputWeightsPath!)) Assert.Contains(full.Tensors, t => t.Name == "head.weight");

        var probeSpec = Specs.Adapt(Methods.LinearProbe, steps: 6);
        var probeObserver = new RecordingObserver();
        var probe = ExperimentTrainer.Run(new TrainingJob
        {
            Spec = probeSpec, BackboneWeightsPath = outcome.BackboneWeightsPath, WorkDirectory = TestPaths.TempDirectory(), Threads = 1,
        }, probeObserver, CancellationToken.None);
        Assert.Equal(6, probe.FinalStep);
        Assert.Equal(ModelCatalogue.Count(probeSpec).Trainable, probe.TrainableParameters);
        Assert.Equal(ModelCatalogue.Count(probeSpec).Total, probe.TotalParameters);
        Assert.Equal(
            ["test/classification/fog", "test/classification/textured", "validation/classification/fog", "validation/classification/textured"],
            probe.Results.Select(r => $"{r.Split}/{r.Task}/{r.Domain}").Order());
        using var adapted = SafetensorsReader.Open(probe.OutputWeightsPath!);
        Assert.Equal(["head.bias", "head.weight", "head_norm.num_batches_tracked", "head_norm.running_mean", "head_norm.running_var"],
            adapted.Tensors.Select(t => t.Name).Order());
    }

    [Theory]
    [InlineData(Methods.LinearProbe)]
    [InlineData(Methods.Supervised)]
    public void A_cancelled_and_resumed_run_matches_an_uninterrupted_one(string method)
    {
        var backbone = method == Methods.Supervised ? null : PretrainedBackbone();
        var spec = method == Methods.Supervised
            ? Specs.Pretrain(steps: 6) with { Training = Specs.Pretrain().Training with { Steps = 6, CheckpointInterval = 2, EvalInterval = 3 } }
            : Specs.Adapt(method, steps: 6) with { Training = Specs.Adapt(method).Training with { Steps = 6, CheckpointInterval = 2 } };

        var straight = new RecordingObserver();
        var full = ExperimentTrainer.Run(new TrainingJob { Spec = spec, BackboneWeightsPath = backbone, WorkDirectory = TestPaths.TempDirectory(), Threads = 1 },
            straight, CancellationToken.None);
        Assert.Contains(straight.Checkpoints, c => c.Step == 2);
        if (method == Methods.Supervised) Assert.Contains(straight.Points, p => p.Step == 3 && p.Name == "accuracy");

        using var cts = new CancellationTokenSource();
        var first = new RecordingObserver(cts, cancelAtStep: 3);
        var dir = TestPaths.TempDirectory();
        var cancelled = ExperimentTrainer.Run(new TrainingJob { Spec = spec, BackboneWeightsPath = backbone, WorkDirectory = dir, Threads = 1 }, first, cts.Token);
        Assert.True(cancelled.Cancelled);
        Assert.Equal(3, cancelled.FinalStep);
        Assert.Empty(cancelled.Results);
        Assert.Equal((3L, cancelled.CheckpointPath!), first.Checkpoints[^1]);
        using (var ckpt = SafetensorsReader.Open(cancelled.CheckpointPath!))
        {
            Assert.Equal("3", ckpt.Metadata["step"]);
            Assert.Equal("48", ckpt.Metadata["data_position"]);
            Assert.Contains(ckpt.Tensors, t => t.Name.StartsWith("optim/"));
        }

        var second = new RecordingObserver();
        var resumed = ExperimentTrainer.Run(new TrainingJob
        {
            Spec = spec, BackboneWeightsPath = backbone, ResumeCheckpointPath = cancelled.CheckpointPath, WorkDirectory = TestPaths.TempDirectory(), Threads = 1,
        }, second, CancellationToken.None);
        Assert.Equal(3, second.Start!.StartStep);
        Assert.Equal(6, resumed.FinalStep);
        Assert.Equal([4, 5, 6], second.Losses.Select(l => l.Step));
        Assert.Equal(straight.Losses.Where(l => l.Step > 3), second.Losses);
        Assert.Equal(full.Results, resumed.Results);
    }

    [Fact]
    public void Diverging_loss_fails_the_training()
    {
        var spec = Specs.Pretrain(steps: 30) with
        {
            Training = Specs.Pretrain().Training with { Steps = 30, Optimizer = "sgd", LearningRate = 1e12, Momentum = 0.9 },
        };
        var error = Assert.Throws<TrainingFailedException>(() =>
            ExperimentTrainer.Run(new TrainingJob { Spec = spec, WorkDirectory = TestPaths.TempDirectory(), Threads = 1 }, new RecordingObserver(), CancellationToken.None));
        Assert.Contains("loss became", error.Message);
        Assert.InRange(error.LastStep, 0, 29);
    }

    [Fact]
    public void Resuming_from_a_checkpoint_of_another_method_is_refused()
    {
        var backbone = PretrainedBackbone();
        var pre = ExperimentTrainer.Run(new TrainingJob { Spec = Specs.Pretrain(steps: 1), WorkDirectory = TestPaths.TempDirectory(), Threads = 1 },
            new RecordingObserver(), CancellationToken.None);
        var error = Assert.Throws<Model.WeightLoadException>(() => ExperimentTrainer.Run(new TrainingJob
        {
            Spec = Specs.Adapt(Methods.LinearProbe), BackboneWeightsPath = backbone, ResumeCheckpointPath = pre.CheckpointPath, WorkDirectory = TestPaths.TempDirectory(), Threads = 1,
        }, new RecordingObserver(), CancellationToken.None));
        Assert.Contains(error.Problems, p => p.Contains("method is 'supervised'"));
    }
}
