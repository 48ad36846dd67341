using System.Globalization;
using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Safetensors;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Api;
using AdapterLab.Training.Artifacts;
using AdapterLab.Training.Datasets.ShapesWorld;
using AdapterLab.Training.Model;
using AdapterLab.Training.Optimisation;
using AdapterLab.Training.Runs;
using TorchSharp;
using static TorchSharp.torch;
using AdamW = AdapterLab.Training.Optimisation.AdamW;

namespace AdapterLab.Training.Multitask;

/// <summary>
/// A dense multitask experiment (<c>kind: multitask</c>, or <c>evaluate</c> of one) as the shared <see cref="TrainingLoop"/>
/// runs it. Settings:
/// <list type="bullet">
/// <item><c>multitask</c>: all tasks supervised on the source domain.</item>
/// <item><c>zero-shot-task-transfer</c>: the first half of the steps trains every task on the source domain; the second
/// half fine-tunes on the first target domain with only the tasks not in <c>data.zeroShotTasks</c>. The zero-shot tasks
/// get no target supervision: their decoders (trained on the source) read the target-adapted shared representation, and
/// in <c>vtagml</c> their task vector keeps its affinity-weighted mix. They are evaluated on the target domain beside a
/// constant prediction (<c>metric@constant</c>: majority class, mean log-depth, mean normal, mean edge) and, for normals
/// with depth among the tasks, the normals of the predicted depth (<c>angular-error@from-depth</c>).</item>
/// <item><c>domain-adaptation</c>: labelled source, unlabelled first target domain; <c>adversarial</c> (output-space
/// discriminators on the segmentation softmax and the log-depth maps, λ = 0.01) or <c>pseudo-labels</c>
/// (segmentation pixels predicted with probability &gt; 0.9 on target images).</item>
/// <item><c>domain-generalization</c> (and <c>supervised</c> for single-task): trained on the source; target domains are
/// held out and only evaluated. <c>kind: evaluate</c> re-evaluates the exported weights on other domains.</item>
/// </list>
/// Task affinity: <see cref="AffinityMeter"/>; evaluation and floors: <see cref="MultitaskEvaluation"/>; the gallery: <see cref="Gallery"/>.
/// </summary>
public sealed class MultitaskRun : ITrainingRun
{
    private const double AdversarialWeight = 0.01;
    private const double PseudoLabelConfidence = 0.9;

    private readonly MultitaskPlan plan;
    private readonly RunRandom random;
    private readonly MultitaskModel model;
    private readonly Device device;
    private readonly DenseData data;
    private readonly IParameterOptimizer optimizer;
    private readonly IParameterOptimizer? discOptimizer;
    private Dictionary<string, Tensor>? floors;
    private DenseSplit? sourceTrain, targetTrain;
    private DataOrder? sourceOrder, targetOrder;

    public static bool Handles(ExperimentSpec spec) =>
        spec.Kind == Kinds.Multitask || (spec.Kind == Kinds.Evaluate && Methods.Dense.Contains(spec.Method.Name));

    public MultitaskRun(MultitaskPlan plan, TrainingJob job)
    {
        this.plan = plan;
        device = RunFacts.ChooseDevice(job.Device);
        data = new DenseData(plan, job.DataRoot);
        // The run's own generators (never torch's process-global one): concurrent runs in one agent stay reproducible.
        random = new RunRandom(plan.Seed);
        model = new MultitaskModel(plan, random);
        if (job.BackboneWeightsPath is not null) ViTWeights.Load(model.Encoder, job.BackboneWeightsPath, includeHead: false);
        model.InitialiseAdaptersFromEncoder();
        foreach (var (name, p) in model.named_parameters())
        {
            p.requires_grad = model.IsTrainable(name);
            if (!model.IsCounted(name)) continue;
            TotalParameters += p.numel();
            if (p.requires_grad) TrainableParameters += p.numel();
        }
        model.to(device);
        model.RefreshBufferReferences();

        var main = model.named_parameters().Where(x => x.parameter.requires_grad && !x.name.StartsWith("discriminators.")).Select(x => (x.name, x.parameter)).ToList();
        var disc = model.named_parameters().Where(x => x.parameter.requires_grad && x.name.StartsWith("discriminators.")).Select(x => (x.name, x.parameter)).ToList();
        optimizer = plan.Run.Optimisation.Create(main, MultitaskPlan.GroupOf);
        discOptimizer = disc.Count > 0 ? new AdamW(disc, 0) : null;
        var stored = model.named_parameters().Where(x => x.parameter.requires_grad).Select(x => x.name).ToHashSet(StringComparer.Ordinal);
        CheckpointLayout = new Checkpoint.Layout(model, stored.Contains,
            discOptimizer is null ? [Checkpoint.StoredOptimizer.Main(optimizer)] : [Checkpoint.StoredOptimizer.Main(optimizer), Checkpoint.StoredOptimizer.Discriminators(discOptimizer)],
            plan.Method, plan.Preset.Name, plan.Run.Optimisation.Optimizer, plan.Seed);
    }

    public RunPlan Plan => plan.Run;
    public long TrainableParameters { get; }
    public long TotalParameters { get; }
    public string Device => device.type == DeviceType.CUDA ? "cuda" : "cpu";
    public Checkpoint.Layout CheckpointLayout { get; }
    public MultitaskModel Model => model;

    private Dictionary<string, Tensor> Floors => floors ??= DenseFloors.From(data.Get(plan.SourceDomain, DataSplit.Train), plan.Tasks, device);

    public void PrepareTraining()
    {
        sourceTrain = data.Get(plan.SourceDomain, DataSplit.Train);
        if (plan.ShuffleTargets) sourceTrain = sourceTrain.WithShuffledTargets(plan.Seed);
        sourceOrder = new DataOrder(plan.Seed, sourceTrain.Count, plan.BatchSize);
        targetTrain = plan.Setting is Settings.ZeroShotTaskTransfer or Settings.DomainAdaptation && plan.TargetDomain is { } td
            ? data.Get(td, DataSplit.Train) : null;
        targetOrder = targetTrain is null ? null : new DataOrder(plan.Seed + 7919, targetTrain.Count, plan.BatchSize);
    }

    public StepLoss Step(long step, double learningRate, ITrainingObserver observer)
    {
        var losses = TrainStep(model, random, plan, optimizer, discOptimizer, learningRate, sourceTrain!, sourceOrder!, targetTrain, targetOrder, step, device);
        // Task affinity on its own cadence (every plan.AffinityInterval steps), after the step: a function of the step
        // alone, so a resumed run updates at the same steps as an uninterrupted one.
        if (plan.MeasuresAffinity && (step + 1) % plan.AffinityInterval == 0)
            AffinityMeter.Measure(model, plan, sourceTrain!, sourceOrder!, step + 1, device, observer);
        double total = losses.Values.Sum();
        var points = new List<MetricPoint> { new(step + 1, "train", "all", plan.SourceDomain, "loss", total) };
        points.AddRange(losses.Select(kv => new MetricPoint(step + 1, "train", kv.Key, plan.SourceDomain, "loss", kv.Value)));
        return new StepLoss(total, points);
    }

    public long DataPosition(long step) => step * plan.BatchSize;

    public IReadOnlyList<FinalResult> Evaluate(long step, ITrainingObserver observer) =>
        MultitaskEvaluation.Evaluate(model, plan, data, device, Floors, step, observer);

    /// <summary>Nothing at evaluations: task affinity updates on its own cadence inside <see cref="Step"/>.</summary>
    public IReadOnlyList<MetricPoint> Measure(long step, ITrainingObserver observer) => [];

    public RunOutputs WriteOutputs(long step, string workDirectory, ITrainingObserver observer)
    {
        Gallery.WritePredictions(model, plan, data, device, step, workDirectory, observer);
        var outputPath = Path.Combine(workDirectory, "multitask.safetensors");
        var tensors = model.named_parameters().Where(x => model.IsExported(x.name))
            .Select(x => TensorData.ToSafetensors(x.name, x.parameter)).ToList();
        tensors.AddRange(model.named_buffers().Select(b => TensorData.ToSafetensors(b.name, b.buffer)));
        SafetensorsWriter.Write(outputPath, tensors, new Dictionary<string, string>
        {
            ["preset"] = plan.Preset.Name, ["method"] = plan.Method, ["tasks"] = string.Join(",", plan.Tasks),
            ["image_size"] = plan.ImageSize.ToString(CultureInfo.InvariantCulture), ["step"] = step.ToString(CultureInfo.InvariantCulture),
        });
        return new RunOutputs(null, outputPath);
    }

    public void LoadEvaluatedWeights(TrainingJob job)
    {
        if (job.ModelWeightsPath is null) throw new ArgumentException("evaluating a multitask experiment needs its exported weights (ModelWeightsPath)");
        // Every tensor the method trains must be there (discriminators are training-only); buffers load when present.
        ViTWeights.LoadTrained(model, job.ModelWeightsPath, model.IsExported);
    }

    public void WriteEvaluationArtifacts(string workDirectory, ITrainingObserver observer) =>
        Gallery.WritePredictions(model, plan, data, device, 0, workDirectory, observer);

    /// <summary>What a discriminator reads: the segmentation softmax or the log-depth map.</summary>
    private static Tensor DiscriminatorInput(string task, Tensor raw) => task == Tasks.Segmentation ? raw.softmax(1) : raw;

    public static Dictionary<string, double> TrainStep(MultitaskModel model, RunRandom random, MultitaskPlan plan, IParameterOptimizer optimizer, IParameterOptimizer? discOptimizer,
        double lr, DenseSplit source, DataOrder sourceOrder, DenseSplit? target, DataOrder? targetOrder, long step, Device device)
    {
        random.BeginStep(step);
        using var scope = torch.NewDisposeScope();
        model.train();
        bool secondPhase = plan.Setting == Settings.ZeroShotTaskTransfer && target is not null && step >= plan.TotalSteps / 2;
        var split = secondPhase ? target! : source;
        var tasks = secondPhase ? plan.Tasks.Except(plan.ZeroShotTasks).ToList() : plan.Tasks.ToList();
        var batch = DenseData.Batch(split, (secondPhase ? targetOrder! : sourceOrder).Batch(step), device);
        var raw = model.Forward(batch.Images, tasks);
        var values = new Dictionary<string, double>();
        Tensor loss = torch.zeros(1, device: device).squeeze();
        foreach (var task in tasks)
        {
            var l = DenseLosses.For(task, raw[task], batch);
            values[task] = l.item<float>();
            loss = loss.Plus(l);
        }

        var adversarial = new List<(OutputDiscriminator D, Tensor Source, Tensor Target)>();
        if (plan.Setting == Settings.DomainAdaptation && target is not null)
        {
            var targetImages = target.ImagesTensor(targetOrder!.Batch(step), device);
            if (plan.Adaptation == AdaptationModes.PseudoLabels)
            {
                var logits = model.Forward(targetImages, [Tasks.Segmentation])[Tasks.Segmentation];
                var (confidence, labels) = logits.detach().softmax(1).max(1);
                var mask = confidence.gt(PseudoLabelConfidence).to(ScalarType.Float32);
                var perPixel = nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.None);
                var pseudo = (perPixel * mask).sum() / mask.sum().clamp_min(1);
                values["pseudo-labels"] = pseudo.item<float>();
                loss = loss.Plus(pseudo);
            }
            else
            {
                var advTasks = model.AdversarialTasks.ToList();
                var targetRaw = model.Forward(targetImages, advTasks);
                for (int k = 0; k < advTasks.Count; k++)
                {
                    var d = model.Discriminators[k];
                    var src = DiscriminatorInput(advTasks[k], raw[advTasks[k]]);
                    var tgt = DiscriminatorInput(advTasks[k], targetRaw[advTasks[k]]);
                    var fool = d.forward(tgt);
                    var adv = nn.functional.binary_cross_entropy_with_logits(fool, torch.ones_like(fool)) * AdversarialWeight;
                    values[$"adversarial-{advTasks[k]}"] = adv.item<float>();
                    loss = loss.Plus(adv);
                    adversarial.Add((d, src.detach(), tgt.detach()));
                }
            }
        }

        double total = loss.item<float>();
        if (!double.IsFinite(total)) return values;
        optimizer.ZeroGrad();
        discOptimizer?.ZeroGrad();
        loss.backward();
        optimizer.Step(lr);
        if (discOptimizer is not null && adversarial.Count > 0)
        {
            discOptimizer.ZeroGrad();
            Tensor dLoss = torch.zeros(1, device: device).squeeze();
            foreach (var (d, src, tgt) in adversarial)
            {
                var ps = d.forward(src);
                var pt = d.forward(tgt);
                dLoss = dLoss.Plus(nn.functional.binary_cross_entropy_with_logits(ps, torch.ones_like(ps)))
                             .Plus(nn.functional.binary_cross_entropy_with_logits(pt, torch.zeros_like(pt)));
            }
            values["discriminator"] = dLoss.item<float>();
            dLoss.backward();
            discOptimizer.Step(lr);
            values.Remove("discriminator"); // reported separately from the model's loss total
        }
        return values;
    }

    public void Dispose()
    {
        if (floors is not null) foreach (var t in floors.Values) t.Dispose();
        foreach (var t in optimizer.State.Values) t.Dispose();
        if (discOptimizer is not null) foreach (var t in discOptimizer.State.Values) t.Dispose();
        model.Dispose();
        random.Dispose();
    }
}
