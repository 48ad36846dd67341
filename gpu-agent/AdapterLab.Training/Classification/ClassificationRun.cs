using System.Globalization;
using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Safetensors;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Api;
using AdapterLab.Training.Datasets.ShapesWorld;
using AdapterLab.Training.Model;
using AdapterLab.Training.Optimisation;
using AdapterLab.Training.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Classification;

/// <summary>A classification experiment (<c>pretrain</c>, <c>adapt</c>, <c>evaluate</c>) as the shared <see cref="TrainingLoop"/> runs it.</summary>
public sealed class ClassificationRun : ITrainingRun
{
    private readonly ClassificationPlan plan;
    private readonly PreparedModel prepared;
    private readonly Device device;
    private readonly FeatureCache features;
    private readonly IParameterOptimizer optimizer;
    private ClassificationSplit? trainSplit;
    private Tensor? trainFeatures;
    private DataOrder? order;

    public ClassificationRun(ClassificationPlan plan, TrainingJob job)
    {
        this.plan = plan;
        device = RunFacts.ChooseDevice(job.Device);
        prepared = PreparedModel.Build(plan, job.BackboneWeightsPath, device);
        features = new FeatureCache(prepared.Model, device);
        optimizer = plan.Optimisation.Create(prepared.Trainable, plan.GroupOf);
        CheckpointLayout = new Checkpoint.Layout(prepared.Model, plan.IsTrainable, [Checkpoint.StoredOptimizer.Main(optimizer)],
            plan.Method, plan.Model.Preset.Name, plan.Optimisation.Optimizer, plan.Seed);
    }

    public RunPlan Plan => plan.Run;
    public long TrainableParameters => prepared.TrainableParameters;
    public long TotalParameters => prepared.TotalParameters;
    public string Device => device.type == DeviceType.CUDA ? "cuda" : "cpu";
    public Checkpoint.Layout CheckpointLayout { get; }
    public IParameterOptimizer Optimizer => optimizer;

    private ClassificationSplit TrainSplit => trainSplit ??= plan.Split(plan.SourceDomain, DataSplit.Train);

    public void PrepareTraining()
    {
        if (plan.Stream is not null) return; // fresh scenes every step: no training set, no order, no cached features
        order = new DataOrder(plan.Seed, TrainSplit.Count, plan.BatchSize);
        trainFeatures = plan.CachesFeatures ? features.For(TrainSplit) : null;
    }

    public StepLoss Step(long step, double learningRate, ITrainingObserver observer)
    {
        var (split, rows) = plan.Stream?.Next(step, plan.BatchSize) ?? (TrainSplit, order!.Batch(step));
        double loss = TrainStep(prepared.Model, plan, optimizer, learningRate, split, trainFeatures, rows, step, device);
        return new StepLoss(loss, [new MetricPoint(step + 1, "train", Tasks.Classification, plan.SourceDomain, "loss", loss)]);
    }

    public long DataPosition(long step) => step * plan.BatchSize;

    public IReadOnlyList<FinalResult> Evaluate(long step, ITrainingObserver observer)
    {
        var trainLabels = plan.Stream?.Labels(FloorSampleOfStream) ?? TrainSplit.Labels;
        return plan.Heads is { } heads
            ? ClassificationEvaluation.EvaluateHeads(prepared.Model, plan, heads, device, trainLabels)
            : ClassificationEvaluation.Evaluate(prepared.Model, plan, features, device,
                ClassificationEvaluation.MajorityClass(trainLabels, plan.Model.Classes), step, observer);
    }

    /// <summary>A stream's majority class is read off its first scenes' labels (geometry only).</summary>
    private const int FloorSampleOfStream = 4000;

    /// <summary>
    /// Branch ratios (<see cref="BranchMeter"/>) on the first <see cref="BranchBatch"/> validation images of the source
    /// domain, reported as <c>branch-ratio:&lt;site&gt;</c> (validation split) so a reader sees each method move.
    /// </summary>
    public IReadOnlyList<MetricPoint> Measure(long step, ITrainingObserver observer)
    {
        if (plan.Method is not (Methods.AdaptFormer or Methods.Lora or Methods.VptShallow or Methods.VptDeep)) return [];
        var validation = branchSplit ??= plan.Split(plan.SourceDomain, DataSplit.Validation);
        using var scope = torch.NewDisposeScope();
        var rows = Enumerable.Range(0, Math.Min(BranchBatch, validation.Count)).ToArray();
        return prepared.Model.MeasureBranches(validation.ImagesTensor(rows, device))
            .Select(r => new MetricPoint(step, "validation", Tasks.Classification, plan.SourceDomain, BranchRatioMetric + r.Site, r.Ratio))
            .ToList();
    }

    /// <summary>Metric-name prefix of a branch ratio.</summary>
    public const string BranchRatioMetric = "branch-ratio:";
    private const int BranchBatch = 64;
    private ClassificationSplit? branchSplit;

    public RunOutputs WriteOutputs(long step, string workDirectory, ITrainingObserver observer)
    {
        var model = prepared.Model;
        var metadata = new Dictionary<string, string>
        {
            ["preset"] = plan.Model.Preset.Name,
            ["image_size"] = plan.Model.ImageSize.ToString(CultureInfo.InvariantCulture),
            ["method"] = plan.Method,
            ["label_family"] = plan.LabelFamily,
            ["step"] = step.ToString(CultureInfo.InvariantCulture),
        };
        if (plan.Spec.Kind == Kinds.Pretrain)
        {
            var backbonePath = Path.Combine(workDirectory, "backbone.safetensors");
            SafetensorsWriter.Write(backbonePath, ViTWeights.Export(model, ViTWeights.IsBackbone), metadata);
            var modelPath = Path.Combine(workDirectory, "model.safetensors");
            SafetensorsWriter.Write(modelPath, ViTWeights.Export(model, _ => true), metadata);
            return new RunOutputs(backbonePath, modelPath);
        }
        // Adapted weights: what training changed plus the head's normalisation statistics, enough to rebuild the
        // model on top of the (stored-once) backbone.
        var outputPath = Path.Combine(workDirectory, "adapted.safetensors");
        var tensors = ViTWeights.Export(model, plan.IsTrainable);
        tensors.AddRange(model.named_buffers().Select(b => TensorData.ToSafetensors(b.name, b.buffer)));
        SafetensorsWriter.Write(outputPath, tensors, metadata);
        return new RunOutputs(null, outputPath);
    }

    public void LoadEvaluatedWeights(TrainingJob job)
    {
        // evaluate: the evaluated experiment's own tensors (everything its method trains, plus buffers) over the backbone.
        if (job.ModelWeightsPath is not null) ViTWeights.LoadTrained(prepared.Model, job.ModelWeightsPath, plan.IsTrainable);
        else if (job.BackboneWeightsPath is null)
            throw new ArgumentException("evaluate needs ModelWeightsPath or BackboneWeightsPath: evaluating random weights is meaningless");
    }

    public void WriteEvaluationArtifacts(string workDirectory, ITrainingObserver observer) { }

    /// <summary>One optimisation step (public for the in-process training benchmarks in bench/, which time exactly this).</summary>
    public static double TrainStep(VisionTransformer model, ClassificationPlan plan, IParameterOptimizer optimizer, double learningRate,
        ClassificationSplit split, Tensor? cachedFeatures, int[] rows, long step, Device device)
    {
        // Reseeding per step makes dropout masks a function of (seed, step): a resumed run draws the same masks. The run's
        // own generators when the model has them (always, when built by PreparedModel): concurrent runs stay independent.
        if (model.Random is { } random) random.BeginStep(step);
        else torch.random.manual_seed(RunRandom.StepSeed(plan.Seed, step));
        using var scope = torch.NewDisposeScope();
        var labels = split.LabelsTensor(rows, device);
        Tensor logits;
        if (cachedFeatures is not null)
        {
            model.eval();
            model.SetHeadTraining(true);
            using var index = torch.tensor(rows.Select(r => (long)r).ToArray()).to(device);
            logits = model.Classify(cachedFeatures.index_select(0, index));
        }
        else
        {
            // Frozen parts of the backbone have no mode-dependent layers (no dropout, no BatchNorm), so train mode
            // only affects what trains: adapter dropout and the head's BatchNorm.
            model.train();
            logits = model.forward(split.ImagesTensor(rows, device));
        }
        var loss = plan.Heads is { } heads ? HeadsLoss(logits, labels, heads) : nn.functional.cross_entropy(logits, labels);
        double value = loss.item<float>();
        if (!double.IsFinite(value)) return value;
        optimizer.ZeroGrad();
        loss.backward();
        optimizer.Step(learningRate);
        return value;
    }

    /// <summary>Several heads: the mean of each head's cross-entropy on its slice of the logits, its label decoded from the mixed-radix composite.</summary>
    public static Tensor HeadsLoss(Tensor logits, Tensor labels, IReadOnlyList<AdapterLab.Contracts.Catalogue.LabelFamily> heads)
    {
        var parts = new List<Tensor>(heads.Count);
        long offset = 0, stride = 1;
        foreach (var head in heads)
        {
            int c = head.Classes.Count;
            var own = labels.div(stride, rounding_mode: RoundingMode.floor).remainder(c);
            parts.Add(nn.functional.cross_entropy(logits.narrow(1, offset, c), own));
            offset += c;
            stride *= c;
        }
        return torch.stack(parts).mean();
    }

    public void Dispose()
    {
        features.Dispose();
        foreach (var t in optimizer.State.Values) t.Dispose();
        prepared.Dispose();
    }
}
