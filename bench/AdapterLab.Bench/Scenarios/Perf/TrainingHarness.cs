using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Classification;
using AdapterLab.Training;
using AdapterLab.Training.Datasets.ShapesWorld;
using AdapterLab.Training.Optimisation;
using AdapterLab.Training.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Bench.Scenarios.Perf;

/// <summary>
/// One method's training state built exactly as the agent builds it (plan, prepared model, optimiser, schedule, data
/// order), stepping through <see cref="ClassificationRun.TrainStep"/> — the code the agent runs — on the CPU or a given device.
/// </summary>
public sealed class TrainingHarness : IDisposable
{
    private long step;

    public TrainingHarness(string preset, string method, int batch, int trainSize, int seed = 1, string? attention = null, Device? device = null)
    {
        Method = method;
        Device = device ?? torch.CPU;
        var spec = new ExperimentSpec
        {
            Name = $"perf {preset} {method}",
            Kind = method == Methods.Supervised ? Kinds.Pretrain : Kinds.Adapt,
            Backbone = new BackboneSpec { Preset = preset, Source = BackboneSources.Random },
            Method = new MethodSpec { Name = method },
            Data = new DataSpec { LabelFamily = "largest-shape", SourceDomain = "synthetic", TrainSize = trainSize, ValidationSize = 64, TestSize = 64 },
            Training = new TrainingSpec { Steps = 1_000_000, BatchSize = batch, Seed = seed, Attention = attention },
        };
        Plan = ClassificationPlan.From(spec);
        Prepared = PreparedModel.Build(Plan, null, Device);
        Optimizer = Plan.Optimisation.Create(Prepared.Trainable, Plan.GroupOf);
        Schedule = Plan.Optimisation.Schedule(Plan.TotalSteps);
        Split = Plan.Split(Plan.SourceDomain, DataSplit.Train);
        Order = new DataOrder(Plan.Seed, Split.Count, Plan.BatchSize);
    }

    public string Method { get; }
    /// <summary>Where the model, its optimiser state and every batch live (the CPU unless a device scenario says otherwise).</summary>
    public Device Device { get; }
    public ClassificationPlan Plan { get; }
    public PreparedModel Prepared { get; }
    public IParameterOptimizer Optimizer { get; }
    public LearningRateSchedule Schedule { get; }
    public ClassificationSplit Split { get; }
    public DataOrder Order { get; }
    public long StepsTaken => step;
    public int StepsPerEpoch => Split.Count / Plan.BatchSize;

    /// <summary>The agent's step: live batch assembly from the in-memory split, forward, backward, optimiser.</summary>
    public double Step() { long s = step++; return ClassificationRun.TrainStep(Prepared.Model, Plan, Optimizer, Schedule.At(s), Split, null, Order.Batch(s), s, Device); }

    /// <summary>Pre-built batches: every batch of one epoch as ready tensors, so a step does no data work at all.</summary>
    public Tensor[] PrebuildImages(int batches)
    {
        var result = new Tensor[batches];
        for (int i = 0; i < batches; i++) result[i] = Split.ImagesTensor(Order.Batch(i), Device).DetachFromDisposeScope();
        return result;
    }

    public Tensor[] PrebuildLabels(int batches)
    {
        var result = new Tensor[batches];
        for (int i = 0; i < batches; i++) result[i] = Split.LabelsTensor(Order.Batch(i), Device).DetachFromDisposeScope();
        return result;
    }

    /// <summary>The same step as <see cref="Step"/> (same seeding, loss, read-back, optimiser) on pre-built tensors.</summary>
    public double StepOn(Tensor images, Tensor labels)
    {
        long s = step++;
        torch.random.manual_seed(Plan.Seed * 1_000_003L + s);
        using var scope = torch.NewDisposeScope();
        var model = Prepared.Model;
        model.train();
        var loss = nn.functional.cross_entropy(model.forward(images), labels);
        double value = loss.item<float>();
        Optimizer.ZeroGrad();
        loss.backward();
        Optimizer.Step(Schedule.At(s));
        return value;
    }

    /// <summary>
    /// The agent's step split into phases (batch assembly, forward + loss, backward, optimiser), each timed; seconds
    /// per phase. Same operations as <see cref="Step"/>, so the phases add up to it (plus the timer reads).
    /// </summary>
    public (double Data, double Forward, double Backward, double Optimizer) ProfileStep()
    {
        long s = step++;
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        torch.random.manual_seed(Plan.Seed * 1_000_003L + s);
        using var scope = torch.NewDisposeScope();
        var rows = Order.Batch(s);
        var labels = Split.LabelsTensor(rows, Device);
        var images = Split.ImagesTensor(rows, Device);
        long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
        var model = Prepared.Model;
        model.train();
        var loss = nn.functional.cross_entropy(model.forward(images), labels);
        _ = loss.item<float>();
        long t2 = System.Diagnostics.Stopwatch.GetTimestamp();
        Optimizer.ZeroGrad();
        loss.backward();
        long t3 = System.Diagnostics.Stopwatch.GetTimestamp();
        Optimizer.Step(Schedule.At(s));
        long t4 = System.Diagnostics.Stopwatch.GetTimestamp();
        double f = System.Diagnostics.Stopwatch.Frequency;
        return ((t1 - t0) / f, (t2 - t1) / f, (t3 - t2) / f, (t4 - t3) / f);
    }

    public void Dispose()
    {
        foreach (var t in Optimizer.State.Values) t.Dispose();
        Prepared.Dispose();
    }
}
