using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Data.Folders;
using AdapterLab.Training.Data.ShapesWorld;
using AdapterLab.Training.Model;

namespace AdapterLab.Training.Training;

/// <summary>
/// A spec resolved into concrete numbers: every default filled in (ml-spec recipe), so the trainer, the checkpoint
/// metadata and the tests read the same values.
/// </summary>
public sealed record TrainingPlan
{
    public required ExperimentSpec Spec { get; init; }
    public required string Method { get; init; }
    public required VisionTransformerOptions Model { get; init; }
    public required string LabelFamily { get; init; }
    public required string SourceDomain { get; init; }
    public required IReadOnlyList<string> TargetDomains { get; init; }
    public required int TrainSize { get; init; }
    public required int ValidationSize { get; init; }
    public required int TestSize { get; init; }
    public required int BatchSize { get; init; }
    public required long TotalSteps { get; init; }
    public required string Optimizer { get; init; }
    public required double LearningRate { get; init; }
    public required double WeightDecay { get; init; }
    public required double Momentum { get; init; }
    public required int WarmupSteps { get; init; }
    public required bool CosineSchedule { get; init; }
    public required int Seed { get; init; }
    public required int EvalInterval { get; init; }
    public required int CheckpointInterval { get; init; }

    /// <summary>The opened folder dataset when <c>data.dataset</c> is <c>folder</c> (checked inside the data root); null for ShapesWorld.</summary>
    public FolderDataset? Folder { get; init; }

    /// <summary>The backbone stays frozen and only the head trains on features computed once.</summary>
    public bool CachesFeatures => Method == Methods.LinearProbe;

    /// <summary>Per-method base learning rates (lr = base × batch / 256). Prompts need far larger steps than adapters.</summary>
    public static double BaseLearningRate(string method) => method switch
    {
        Methods.Supervised => 8e-3,
        Methods.FullFinetune => 1e-3,
        Methods.LinearProbe => 0.1,
        Methods.VptShallow or Methods.VptDeep => 1.0,
        _ => 0.1,
    };

    /// <param name="dataRoot">Folder that folder datasets resolve inside (the agent's data root).</param>
    public static TrainingPlan From(ExperimentSpec spec, string? dataRoot = null)
    {
        if (spec.Kind is not (Kinds.Pretrain or Kinds.Adapt or Kinds.Evaluate))
            throw new ArgumentException($"ExperimentTrainer runs classification kinds 'pretrain', 'adapt' and 'evaluate'; got '{spec.Kind}'");
        if (spec.Data.Dataset == Datasets.Folder) return FromFolder(spec, dataRoot);
        if (spec.Data.Dataset != Datasets.ShapesWorld)
            throw new ArgumentException($"dataset '{spec.Data.Dataset}' is not supported by the classification trainer ('{Datasets.ShapesWorld}', '{Datasets.Folder}')");
        var family = spec.Data.LabelFamily ?? throw new ArgumentException("data.labelFamily is required for classification");
        var fam = ShapesWorldCatalogue.FindLabelFamily(family) ?? throw new ArgumentException($"unknown label family '{family}'");
        var method = spec.Kind == Kinds.Pretrain || (spec.Kind == Kinds.Evaluate && spec.Method.Name is "" or Methods.Supervised)
            ? Methods.Supervised
            : spec.Method.Name;
        if (method != Methods.Supervised && !Methods.Classification.Contains(method))
            throw new ArgumentException($"'{method}' is not a classification adaptation method ({string.Join(", ", Methods.Classification)})");

        var preset = ModelCatalogue.Get(spec.Backbone.Preset);
        int imageSize = spec.Backbone.ImageSize ?? preset.ImageSize;
        var defaults = ShapesWorldCatalogue.DefaultSplits(spec.Kind);
        int train = spec.Data.TrainSize ?? defaults.Train;
        int batch = spec.Training.BatchSize;
        if (batch <= 0) throw new ArgumentException("training.batchSize must be positive");
        long steps = spec.Training.Steps
            ?? (long)(spec.Training.Epochs ?? 1) * ((train + batch - 1) / batch);
        string optimizer = spec.Training.Optimizer
            ?? (method is Methods.Supervised or Methods.FullFinetune ? "adamw" : "sgd");
        double lr = spec.Training.LearningRate ?? BaseLearningRate(method) * batch / 256.0;

        return new TrainingPlan
        {
            Spec = spec,
            Method = method,
            Model = ModelOptions(spec, preset, imageSize, fam.Classes.Count, method),
            LabelFamily = family,
            SourceDomain = spec.Data.SourceDomain,
            TargetDomains = spec.Data.TargetDomains,
            TrainSize = train,
            ValidationSize = spec.Data.ValidationSize ?? defaults.Validation,
            TestSize = spec.Data.TestSize ?? defaults.Test,
            BatchSize = batch,
            TotalSteps = spec.Kind == Kinds.Evaluate ? 0 : Math.Max(1, steps),
            Optimizer = optimizer,
            LearningRate = lr,
            WeightDecay = spec.Training.WeightDecay ?? (optimizer == "adamw" ? 0.05 : 0.0),
            Momentum = spec.Training.Momentum ?? 0.9,
            WarmupSteps = spec.Training.WarmupSteps,
            CosineSchedule = spec.Training.Schedule != "constant",
            Seed = spec.Training.Seed,
            EvalInterval = spec.Training.EvalInterval,
            CheckpointInterval = spec.Training.CheckpointInterval,
        };
    }

    /// <summary>
    /// A folder dataset: classes from its sub-folders, splits from the path hash (sizes cap them), one evaluation
    /// "domain" named after the path. Everything else resolves as for ShapesWorld.
    /// </summary>
    private static TrainingPlan FromFolder(ExperimentSpec spec, string? dataRoot)
    {
        var folder = FolderDataset.Open(dataRoot, spec.Data.Path ?? throw new ArgumentException("data.path is required for a folder dataset"));
        var shapes = spec with { Data = spec.Data with { Dataset = Datasets.ShapesWorld, Path = null, LabelFamily = ShapesWorldCatalogue.LabelFamilies[0].Name } };
        var plan = From(shapes);
        int train = Math.Min(spec.Data.TrainSize ?? int.MaxValue, folder.Count(DataSplit.Train));
        long steps = spec.Training.Steps ?? (long)(spec.Training.Epochs ?? 1) * ((train + plan.BatchSize - 1) / plan.BatchSize);
        var preset = plan.Model.Preset;
        return plan with
        {
            Spec = spec,
            Folder = folder,
            Model = ModelOptions(spec, preset, plan.Model.ImageSize, folder.Classes.Count, plan.Method),
            LabelFamily = "folder",
            SourceDomain = spec.Data.Path!,
            TargetDomains = [],
            TrainSize = train,
            ValidationSize = Math.Min(spec.Data.ValidationSize ?? int.MaxValue, folder.Count(DataSplit.Validation)),
            TestSize = Math.Min(spec.Data.TestSize ?? int.MaxValue, folder.Count(DataSplit.Test)),
            TotalSteps = spec.Kind == Kinds.Evaluate ? 0 : Math.Max(1, steps),
        };
    }

    private static VisionTransformerOptions ModelOptions(ExperimentSpec spec, BackbonePreset preset, int imageSize, int classes, string method)
    {
        var m = spec.Method;
        IReadOnlySet<int> layers = (m.Layers ?? Enumerable.Range(0, preset.Depth).ToList()).ToHashSet();
        foreach (var l in layers)
            if (l < 0 || l >= preset.Depth) throw new ArgumentException($"method.layers: block {l} does not exist in {preset.Name} (0–{preset.Depth - 1})");
        // Frozen-backbone methods normalise features before the linear head (MAE-style probe); methods that train
        // the whole backbone keep a plain Linear head.
        bool normalisedHead = method is not (Methods.Supervised or Methods.FullFinetune);
        return new VisionTransformerOptions(
            preset, imageSize, classes, normalisedHead,
            AdaptMlp: method == Methods.AdaptFormer
                ? new AdaptMlpOptions(
                    m.Bottleneck ?? ModelCatalogue.Defaults.Bottleneck,
                    m.Scale ?? (m.LearnableScale == true ? 1.0 : ModelCatalogue.Defaults.Scale),
                    m.LearnableScale == true,
                    m.Placement ?? ModelCatalogue.Defaults.Placement,
                    m.AdapterNorm ?? ModelCatalogue.Defaults.AdapterNorm,
                    m.Dropout ?? ModelCatalogue.Defaults.Dropout,
                    layers)
                : null,
            Lora: method == Methods.Lora ? new LoraOptions(m.Rank ?? ModelCatalogue.Defaults.Rank, m.Alpha ?? ModelCatalogue.Defaults.Alpha, layers) : null,
            Prompts: method is Methods.VptShallow or Methods.VptDeep
                ? new PromptOptions(m.PromptTokens ?? ModelCatalogue.Defaults.PromptTokens, method == Methods.VptDeep)
                : null);
    }

    /// <summary>Which parameters train under this method; everything else is frozen (no grad, not in the optimiser).</summary>
    public bool IsTrainable(string parameterName) => Method switch
    {
        Methods.Supervised or Methods.FullFinetune => true,
        Methods.LinearProbe => ViTWeights.IsHead(parameterName),
        Methods.VptShallow or Methods.VptDeep => ViTWeights.IsHead(parameterName) || parameterName.StartsWith("prompt_embeddings", StringComparison.Ordinal),
        Methods.AdaptFormer => ViTWeights.IsHead(parameterName) || parameterName.Contains(".adapter.", StringComparison.Ordinal),
        Methods.Lora => ViTWeights.IsHead(parameterName) || parameterName.Contains(".lora_", StringComparison.Ordinal),
        Methods.BitFit => ViTWeights.IsHead(parameterName) || (ViTWeights.IsBackbone(parameterName) && parameterName.EndsWith(".bias", StringComparison.Ordinal)),
        _ => false,
    };

    public IEnumerable<string> EvaluationDomains => new[] { SourceDomain }.Concat(TargetDomains).Distinct();

    public ClassificationSplit Split(string domain, DataSplit split) => Folder is not null
        ? Folder.Split(split, Model.ImageSize, split switch { DataSplit.Train => TrainSize, DataSplit.Validation => ValidationSize, _ => TestSize }, domain)
        : ShapesWorldDataset.Classification(
        ShapesWorldDataset.WorldSeed, domain, LabelFamily, split,
        split switch { DataSplit.Train => TrainSize, DataSplit.Validation => ValidationSize, _ => TestSize },
        Model.ImageSize);
}
