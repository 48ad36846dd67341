using AdapterLab.Contracts.Safetensors;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Classification;
using AdapterLab.Training.Api;
using AdapterLab.Training.Multitask;
using AdapterLab.Training.Runs;
using TorchSharp;

namespace AdapterLab.Training.Tests;

/// <summary>
/// An agent with slots &gt; 1 trains several experiments in one process. Torch's default generator is process-global,
/// so a run must draw its randomness (initialisation, dropout masks) from generators of its own: two runs with the
/// same seed trained at the same time on two threads must end bit-identical to each other and to the run alone.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ConcurrentReproducibilityTests
{
    /// <summary>
    /// AdaptFormer (dropout 0.1 by default) on a random backbone: the seed decides the frozen backbone, the adapters, the
    /// head and every dropout mask, so every source of randomness shows in the trained tensors.
    /// </summary>
    private static ExperimentSpec Spec(int seed) => Specs.Adapt(Methods.AdaptFormer, steps: 5) with
    {
        Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Random },
        Training = new TrainingSpec { Steps = 5, BatchSize = 16, Seed = seed },
    };

    [Fact]
    public void Two_runs_with_one_seed_trained_concurrently_equal_each_other_and_the_run_alone()
    {
        var alone = Train(Spec(11), null);

        var (a, b) = Concurrently(Spec(11), Spec(11));
        Assert.Equal(alone.Losses, a.Losses);
        Assert.Equal(alone.Losses, b.Losses);
        AssertBitIdentical(alone.Tensors, a.Tensors);
        AssertBitIdentical(alone.Tensors, b.Tensors);
    }

    [Fact]
    public void A_run_beside_a_run_of_another_seed_equals_the_run_alone()
    {
        var alone = Train(Spec(11), null);
        var other = Train(Spec(12), null);
        Assert.NotEqual(alone.Losses, other.Losses);

        var (mine, theirs) = Concurrently(Spec(11), Spec(12));

        Assert.Equal(alone.Losses, mine.Losses);
        Assert.Equal(other.Losses, theirs.Losses);
        AssertBitIdentical(alone.Tensors, mine.Tensors);
        AssertBitIdentical(other.Tensors, theirs.Tensors);
    }

    /// <summary>
    /// The attention kernel is an option of each model (<c>training.attention</c>), not a process-wide switch: a fused and
    /// a composed run trained at the same time each equal their solo run bit for bit, and the kernels do differ.
    /// </summary>
    [Fact]
    public void Two_runs_with_different_attention_kernels_trained_concurrently_each_equal_their_solo_run()
    {
        var fused = Spec(11);
        var composed = fused with { Training = fused.Training with { Attention = AttentionKernels.Composed } };
        Assert.Empty(SpecValidator.Validate(composed));
        var fusedAlone = Train(fused, null);
        var composedAlone = Train(composed, null);

        var (a, b) = Concurrently(fused, composed);

        Assert.Equal(fusedAlone.Losses, a.Losses);
        Assert.Equal(composedAlone.Losses, b.Losses);
        AssertBitIdentical(fusedAlone.Tensors, a.Tensors);
        AssertBitIdentical(composedAlone.Tensors, b.Tensors);
        // Not a no-op option: the two kernels round differently (outputs equal to ~1e-7, not bit for bit).
        Assert.Contains(fusedAlone.Tensors.Keys, k => !fusedAlone.Tensors[k].AsSpan().SequenceEqual(composedAlone.Tensors[k]));
        for (int i = 0; i < fusedAlone.Losses.Count; i++) Assert.Equal(fusedAlone.Losses[i], composedAlone.Losses[i], 1e-4);
    }

    /// <summary>
    /// Every parameter and buffer of a built model comes from the run's seed alone: layers whose construction-time draw
    /// (from torch's global generator) were not re-drawn from the run's generator would differ here.
    /// </summary>
    [Theory]
    [InlineData(Methods.AdaptFormer)]
    [InlineData(Methods.Lora)]
    [InlineData(Methods.VptDeep)]
    [InlineData(Methods.FullFinetune)]
    [InlineData(Methods.LinearProbe)]
    [InlineData(Methods.BitFit)]
    public void A_prepared_model_ignores_torch_global_generator(string method)
    {
        var plan = ClassificationPlan.From(Spec(11) with { Method = new MethodSpec { Name = method } });
        torch.random.manual_seed(1);
        using var first = PreparedModel.Build(plan, null, torch.CPU);
        torch.random.manual_seed(2);
        using var second = PreparedModel.Build(plan, null, torch.CPU);
        AssertBitIdentical(State(first.Model), State(second.Model));
    }

    [Fact]
    public void A_multitask_model_ignores_torch_global_generator()
    {
        var spec = new ExperimentSpec
        {
            Kind = Kinds.Multitask,
            Backbone = new BackboneSpec { Preset = "vit-tiny-ci" },
            Method = new MethodSpec { Name = Methods.Vtagml, AdapterBlocks = 1 },
            Tasks = [Tasks.Segmentation, Tasks.Depth],
            Data = new DataSpec { Setting = Settings.DomainAdaptation, TargetDomains = ["fog"], TrainSize = 16, ValidationSize = 8, TestSize = 8 },
            Training = new TrainingSpec { Steps = 2, BatchSize = 4, Seed = 11 },
        };
        var plan = MultitaskPlan.From(spec);
        torch.random.manual_seed(1);
        using var r1 = new Model.RunRandom(plan.Seed);
        using var first = new MultitaskModel(plan, r1);
        torch.random.manual_seed(2);
        using var r2 = new Model.RunRandom(plan.Seed);
        using var second = new MultitaskModel(plan, r2);
        var state = State(first);
        Assert.Contains(state.Keys, k => k.StartsWith("discriminators."));
        Assert.Contains(state.Keys, k => k.StartsWith("adapters."));
        AssertBitIdentical(state, State(second));
    }

    private static Dictionary<string, byte[]> State(torch.nn.Module model) =>
        model.named_parameters().Select(p => (p.name, (torch.Tensor)p.parameter)).Concat(model.named_buffers())
            .ToDictionary(x => x.Item1, x => x.Item2.contiguous().bytes.ToArray());

    /// <summary>Trains two specs at once on two threads that step in lockstep (a barrier after every step), so any draw
    /// from a shared generator would interleave.</summary>
    private static ((Dictionary<string, byte[]> Tensors, List<double> Losses) First, (Dictionary<string, byte[]> Tensors, List<double> Losses) Second)
        Concurrently(ExperimentSpec first, ExperimentSpec second)
    {
        using var lockstep = new Barrier(2);
        var specs = new[] { first, second };
        var results = new (Dictionary<string, byte[]> Tensors, List<double> Losses)[2];
        var errors = new Exception?[2];
        var threads = Enumerable.Range(0, 2).Select(i => new Thread(() =>
        {
            try { results[i] = Train(specs[i], lockstep); }
            catch (Exception ex) { errors[i] = ex; lockstep.RemoveParticipant(); }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.All(errors, e => Assert.Null(e));
        return (results[0], results[1]);
    }

    /// <summary>Trains a spec; returns the exported trainable tensors and buffers (raw bytes) and the loss curve.</summary>
    private static (Dictionary<string, byte[]> Tensors, List<double> Losses) Train(ExperimentSpec spec, Barrier? lockstep)
    {
        var observer = new LockstepObserver(lockstep);
        var outcome = ExperimentTrainer.Run(new TrainingJob { Spec = spec, WorkDirectory = TestPaths.TempDirectory(), Threads = 1 },
            observer, CancellationToken.None);
        using var reader = SafetensorsReader.Open(outcome.OutputWeightsPath!);
        Assert.Contains(reader.Tensors, t => t.Name.Contains("adapter"));
        return (reader.Tensors.ToDictionary(t => t.Name, t => reader.ReadRaw(t.Name)), observer.Losses);
    }

    private static void AssertBitIdentical(Dictionary<string, byte[]> expected, Dictionary<string, byte[]> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        var differing = expected.Keys.Where(k => !expected[k].AsSpan().SequenceEqual(actual[k])).Order().ToList();
        Assert.True(differing.Count == 0, $"tensors differ: {string.Join(", ", differing)}");
    }

    private sealed class LockstepObserver(Barrier? lockstep) : ITrainingObserver
    {
        public List<double> Losses { get; } = [];

        public void OnStarted(TrainingStart start) => lockstep?.SignalAndWait(TimeSpan.FromSeconds(120));

        public void OnProgress(long step, long totalSteps, IReadOnlyList<Contracts.Messages.MetricPoint> points)
        {
            Losses.AddRange(points.Where(p => p.Name == "loss").Select(p => p.Value));
            lockstep?.SignalAndWait(TimeSpan.FromSeconds(120));
        }

        public void OnCheckpoint(long step, string path) { }
    }
}
