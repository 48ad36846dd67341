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

namespace AdapterLab.Training.Pretraining;

/// <summary>
/// Masked-autoencoder pretraining (<c>pretrain</c>, <c>method: mae</c>) as the shared <see cref="TrainingLoop"/> runs
/// it. Evaluation: the reconstruction error on hidden patches of validation and test with fixed masks (the same at every
/// evaluation, so the curve compares like with like) and its floor, the image-blind prior: every hidden patch predicted
/// as the mean normalised patch at its grid position over the first training images (never worse than predicting flat
/// patches, 0 in the normalised target, which scores (n − 1)/n of a patch's n values ≈ 0.98). Outputs: the encoder as the backbone (decoder dropped), the whole autoencoder as the model, and a
/// gallery of reconstructions of the first validation images.
/// </summary>
public sealed class MaeRun : ITrainingRun
{
    public const string Task = Gallery.ReconstructionTask;
    public const string Metric = "reconstruction-mse";
    private const int EvaluationBatch = 256;
    private const ulong EvaluationMaskSeed = 0x3A5C_0FEE;

    private readonly MaePlan plan;
    private readonly Device device;
    private readonly RunRandom random;
    private readonly MaskedAutoencoder model;
    private readonly IParameterOptimizer optimizer;
    private const int PriorImages = 512;
    private ClassificationSplit? trainSplit;
    private DataOrder? order;
    private Tensor? prior;

    public MaeRun(MaePlan plan, TrainingJob job)
    {
        this.plan = plan;
        device = RunFacts.ChooseDevice(job.Device);
        random = new RunRandom(plan.Run.Seed);
        try
        {
            var encoder = new VisionTransformer(plan.Encoder, random);
            if (job.BackboneWeightsPath is not null) ViTWeights.Load(encoder, job.BackboneWeightsPath, includeHead: false);
            model = new MaskedAutoencoder(encoder, new MaeDecoder(plan.Run.Preset, plan.ImageSize, random, plan.Run.FusedAttention), plan.MaskRatio);
        }
        catch
        {
            random.Dispose();
            throw;
        }
        foreach (var (name, p) in model.named_parameters())
        {
            p.requires_grad = IsTrainable(name);
            TotalParameters += IsTrainable(name) ? p.numel() : 0;
        }
        TrainableParameters = TotalParameters;
        model.to(device);
        var trainable = model.named_parameters().Where(p => IsTrainable(p.name)).Select(p => (p.name, p.parameter)).ToList();
        optimizer = plan.Run.Optimisation.Create(trainable,
            name => name.StartsWith("decoder.", StringComparison.Ordinal) ? ParameterGroups.Decoders : ParameterGroups.Backbone);
        CheckpointLayout = new Checkpoint.Layout(model, IsTrainable, [Checkpoint.StoredOptimizer.Main(optimizer)],
            Methods.Mae, plan.Run.Preset.Name, plan.Run.Optimisation.Optimizer, plan.Run.Seed);
    }

    /// <summary>Everything but the encoder's unused classification head.</summary>
    public static bool IsTrainable(string name) => !name.StartsWith("encoder.head.", StringComparison.Ordinal);

    public RunPlan Plan => plan.Run;
    public long TrainableParameters { get; }
    public long TotalParameters { get; }
    public string Device => device.type == DeviceType.CUDA ? "cuda" : "cpu";
    public Checkpoint.Layout CheckpointLayout { get; }
    public MaskedAutoencoder Model => model;

    private ClassificationSplit TrainSplit => trainSplit ??= plan.Split(plan.Run.SourceDomain, DataSplit.Train);

    public void PrepareTraining()
    {
        if (plan.Stream is null) order = new DataOrder(plan.Run.Seed, TrainSplit.Count, plan.Run.BatchSize);
    }

    public StepLoss Step(long step, double learningRate, ITrainingObserver observer)
    {
        // Masks are a function of (seed, step): a resumed run hides the same patches an uninterrupted one would.
        random.BeginStep(step);
        using var scope = torch.NewDisposeScope();
        model.train();
        var (split, rows) = plan.Stream?.Next(step, plan.Run.BatchSize) ?? (TrainSplit, order!.Batch(step));
        var images = split.ImagesTensor(rows, device);
        var mask = model.DrawMasks(rows.Length, random.On(device), device);
        var loss = model.Loss(images, mask);
        double value = loss.item<float>();
        if (double.IsFinite(value))
        {
            optimizer.ZeroGrad();
            loss.backward();
            optimizer.Step(learningRate);
        }
        return new StepLoss(value, [new MetricPoint(step + 1, "train", Task, plan.Run.SourceDomain, "loss", value)]);
    }

    public long DataPosition(long step) => step * plan.Run.BatchSize;

    public IReadOnlyList<FinalResult> Evaluate(long step, ITrainingObserver observer)
    {
        model.eval();
        var results = new List<FinalResult>();
        foreach (var split in new[] { DataSplit.Validation, DataSplit.Test })
            foreach (var domain in plan.Run.EvaluationDomains)
            {
                var data = plan.Split(domain, split);
                var (mse, floor, parts, priorParts) = ReconstructionError(data, Prior());
                results.Add(new FinalResult(split.MetricName(), Task, domain, Metric, mse));
                results.Add(new FinalResult(split.MetricName(), Task, domain, Floors.MetricOf(Metric), floor));
                // Per image: [squared error summed over its hidden patches, hidden patches] — intervals and the compare page.
                var model = new EvaluationPredictions
                {
                    Step = step, Split = split.MetricName(), Task = Task, Domain = domain, Predictor = EvaluationPredictions.ModelPredictor,
                    ExampleIds = data.ExampleIds,
                    Metrics = new Dictionary<string, double[]> { [Metric] = Multitask.DenseMetrics.PerImage(Metric, parts) },
                    MetricParts = new Dictionary<string, double[][]> { [Metric] = parts },
                };
                observer.OnPredictions(model);
                observer.OnPredictions(model with
                {
                    Predictor = EvaluationPredictions.FloorPredictor(Floors.ImageBlindPrior),
                    Metrics = new Dictionary<string, double[]> { [Metric] = Multitask.DenseMetrics.PerImage(Metric, priorParts) },
                    MetricParts = new Dictionary<string, double[][]> { [Metric] = priorParts },
                });
            }
        return results;
    }

    /// <summary>The image-blind prior [N, p²·3]: the mean normalised patch per grid position over the first training images.</summary>
    private Tensor Prior()
    {
        if (prior is not null) return prior;
        var images = plan.Stream is { } stream ? stream.Batch(0, PriorImages) : TrainSplit;
        int n = Math.Min(PriorImages, images.Count);
        using var scope = torch.NewDisposeScope();
        using (torch.no_grad())
            prior = MaskedAutoencoder.NormalisedPatches(images.ImagesTensor(Enumerable.Range(0, n).ToArray(), device), model.PatchSize).mean([0L]).MoveToOuterDisposeScope();
        return prior;
    }

    /// <summary>Mean squared error over the hidden patches of a split with its fixed masks, and the image-blind prior's.</summary>
    public (double Mse, double Floor, double[][] Parts, double[][] PriorParts) ReconstructionError(ClassificationSplit data, Tensor prior)
    {
        double error = 0, floor = 0, count = 0;
        var parts = new double[data.Count][];
        var priorParts = new double[data.Count][];
        using var generator = new Generator(EvaluationMaskSeed + (ulong)data.Split, torch.CPU);
        using (torch.no_grad())
            for (int start = 0; start < data.Count; start += EvaluationBatch)
            {
                using var scope = torch.NewDisposeScope();
                var rows = Enumerable.Range(start, Math.Min(EvaluationBatch, data.Count - start)).ToArray();
                var images = data.ImagesTensor(rows, device);
                var mask = model.DrawMasks(rows.Length, generator, device);
                var target = MaskedAutoencoder.NormalisedPatches(images, model.PatchSize);
                var (sum, n) = MaskedAutoencoder.HiddenError(model.Reconstruct(images, mask), target, mask.Hidden);
                var (priorSum, _) = MaskedAutoencoder.HiddenError(prior.unsqueeze(0).expand_as(target), target, mask.Hidden);
                var sums = sum.cpu().data<float>().ToArray();
                var priors = priorSum.cpu().data<float>().ToArray();
                var counts = n.cpu().data<float>().ToArray();
                for (int i = 0; i < rows.Length; i++)
                {
                    parts[start + i] = [sums[i], counts[i]];
                    priorParts[start + i] = [priors[i], counts[i]];
                    error += sums[i];
                    floor += priors[i];
                    count += counts[i];
                }
            }
        return count == 0 ? (double.NaN, double.NaN, parts, priorParts) : (error / count, floor / count, parts, priorParts);
    }

    public IReadOnlyList<MetricPoint> Measure(long step, ITrainingObserver observer) => [];

    public RunOutputs WriteOutputs(long step, string workDirectory, ITrainingObserver observer)
    {
        var metadata = new Dictionary<string, string>
        {
            ["preset"] = plan.Run.Preset.Name,
            ["image_size"] = plan.ImageSize.ToString(CultureInfo.InvariantCulture),
            ["method"] = Methods.Mae,
            ["mask_ratio"] = plan.MaskRatio.ToString("R", CultureInfo.InvariantCulture),
            ["step"] = step.ToString(CultureInfo.InvariantCulture),
        };
        var backbonePath = Path.Combine(workDirectory, "backbone.safetensors");
        SafetensorsWriter.Write(backbonePath, ViTWeights.Export(model.Encoder, ViTWeights.IsBackbone), metadata);
        var modelPath = Path.Combine(workDirectory, "model.safetensors");
        SafetensorsWriter.Write(modelPath, model.named_parameters().Where(p => IsTrainable(p.name))
            .Select(p => TensorData.ToSafetensors(p.name, p.parameter)).ToList(), metadata);
        WriteReconstructions(step, workDirectory, observer);
        return new RunOutputs(backbonePath, modelPath);
    }

    /// <summary>The gallery: per validation image the masked input, the reconstruction (visible patches kept) and the original.</summary>
    private void WriteReconstructions(long step, string workDirectory, ITrainingObserver observer)
    {
        var data = plan.Split(plan.Run.SourceDomain, DataSplit.Validation);
        int count = Math.Min(Gallery.ImagesPerDomain * 2, data.Count);
        if (count == 0) return;
        model.eval();
        var entries = new List<Gallery.Entry>();
        using (torch.no_grad())
        {
            using var scope = torch.NewDisposeScope();
            using var generator = new Generator(EvaluationMaskSeed + (ulong)DataSplit.Validation, torch.CPU);
            var rows = Enumerable.Range(0, count).ToArray();
            var images = data.ImagesTensor(rows, device);
            var mask = model.DrawMasks(count, generator, device);
            int p = model.PatchSize;
            var patches = MaskedAutoencoder.Patchify(images, p);
            // Back to pixels with each hidden patch's own mean and spread (as MAE's figures do), visible patches as they were.
            var mean = patches.mean([-1L], keepdim: true);
            var spread = (patches.var(-1, unbiased: true, keepdim: true) + 1e-6).sqrt();
            var hidden = mask.Hidden.unsqueeze(-1);
            var reconstructed = model.Reconstruct(images, mask) * spread + mean;
            var blended = MaskedAutoencoder.Unpatchify(hidden * reconstructed + (1 - hidden) * patches, p, plan.ImageSize).clamp(-1, 1);
            var masked = MaskedAutoencoder.Unpatchify((1 - hidden) * patches, p, plan.ImageSize);
            int e = 3 * plan.ImageSize * plan.ImageSize;
            var blendedPixels = blended.contiguous().cpu().data<float>().ToArray();
            var maskedPixels = masked.contiguous().cpu().data<float>().ToArray();
            for (int r = 0; r < count; r++)
                entries.Add(new Gallery.Entry(data.Domain, r, maskedPixels.AsSpan(r * e, e).ToArray(),
                    new() { [Task] = (blendedPixels.AsSpan(r * e, e).ToArray(), data.Pixels.AsSpan(r * e, e).ToArray()) }));
        }
        var path = Path.Combine(workDirectory, "reconstructions.zip");
        Gallery.Write(path, plan.ImageSize, step, [Task], entries);
        observer.OnArtifact(step, "gallery", path);
    }

    public void LoadEvaluatedWeights(TrainingJob job) =>
        throw new ArgumentException("an MAE backbone has no classifier to evaluate; adapt it (e.g. linear-probe) and evaluate that");

    public void WriteEvaluationArtifacts(string workDirectory, ITrainingObserver observer) { }

    public void Dispose()
    {
        prior?.Dispose();
        foreach (var t in optimizer.State.Values) t.Dispose();
        model.Dispose();
        random.Dispose();
    }
}
