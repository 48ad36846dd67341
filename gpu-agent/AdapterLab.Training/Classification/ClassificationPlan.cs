using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Datasets.Folders;
using AdapterLab.Training.Datasets.ShapesWorld;
using AdapterLab.Training.Model;
using AdapterLab.Training.Optimisation;
using AdapterLab.Training.Runs;
using SpecDatasets = AdapterLab.Contracts.Specs.Datasets;

namespace AdapterLab.Training.Classification;

/// <summary>
/// A classification spec (<c>pretrain</c>, <c>adapt</c>, <c>evaluate</c>) resolved into concrete numbers: the shared
/// <see cref="RunPlan"/> plus what only classification has (method, model shape, label family, folder dataset), every
/// default filled in (ml-spec recipe), so the trainer, the checkpoint metadata and the tests read the same values.
/// </summary>
public sealed record ClassificationPlan
{
    public required RunPlan Run { get; init; }
    public required string Method { get; init; }
    public required VisionTransformerOptions Model { get; init; }
    public required string LabelFamily { get; init; }

    /// <summary>Several label heads (<c>data.labelFamilies</c>): their families in order, logits side by side; null for one head.</summary>
    public IReadOnlyList<LabelFamily>? Heads { get; init; }

    /// <summary>The opened folder dataset when <c>data.dataset</c> is <c>folder</c> (checked inside the data root); null for ShapesWorld.</summary>
    public FolderDataset? Folder { get; init; }

    /// <summary>The ShapesWorld pretraining stream (<c>data.stream</c>): fresh training scenes every step; null for a fixed training set.</summary>
    public ShapesWorldStream? Stream { get; init; }

    public ExperimentSpec Spec => Run.Spec;
    public int Seed => Run.Seed;
    public int BatchSize => Run.BatchSize;
    public long TotalSteps => Run.TotalSteps;
    public string SourceDomain => Run.SourceDomain;
    public OptimisationPlan Optimisation => Run.Optimisation;

    /// <summary>The backbone stays frozen and only the head trains on features computed once.</summary>
    public bool CachesFeatures => Method == Methods.LinearProbe;

    /// <summary>The recipe's groups without weight decay (unless the spec's group override sets one): adapters (AdaptMLP, LoRA), prompts, BitFit's biases.</summary>
    public static readonly IReadOnlySet<string> UndecayedGroups = new HashSet<string> { ParameterGroups.Adapters, ParameterGroups.Prompts, ParameterGroups.Biases };

    /// <summary>Per-method base learning rates (lr = base × batch / 256) under the default AdamW recipe. Prompts need far larger steps than adapters.</summary>
    public static double BaseLearningRate(string method) => method switch
    {
        Methods.Supervised => 8e-3,
        Methods.FullFinetune => 4e-3,
        Methods.LinearProbe => 4e-2,
        Methods.VptShallow or Methods.VptDeep => 4e-2,
        Methods.AdaptFormer => 4e-2,
        Methods.Lora => 4e-3,
        Methods.BitFit => 1.6e-2,
        _ => 4e-3,
    };

    /// <param name="dataRoot">Folder that folder datasets resolve inside (the agent's data root).</param>
    public static ClassificationPlan From(ExperimentSpec spec, string? dataRoot = null)
    {
        if (spec.Kind is not (Kinds.Pretrain or Kinds.Adapt or Kinds.Evaluate))
            throw new ArgumentException($"ExperimentTrainer runs classification kinds 'pretrain', 'adapt' and 'evaluate'; got '{spec.Kind}'");
        if (spec.Data.Dataset == SpecDatasets.Folder) return FromFolder(spec, dataRoot);
        if (spec.Data.Dataset != SpecDatasets.ShapesWorld)
            throw new ArgumentException($"dataset '{spec.Data.Dataset}' is not supported by the classification trainer ('{SpecDatasets.ShapesWorld}', '{SpecDatasets.Folder}')");
        var family = spec.Data.LabelFamilies is { Count: > 1 } several ? ShapesWorldCatalogue.Composite(several)
            : spec.Data.LabelFamily ?? throw new ArgumentException("data.labelFamily is required for classification");
        var heads = ShapesWorldCatalogue.Heads(family);
        var method = spec.Kind == Kinds.Pretrain || (spec.Kind == Kinds.Evaluate && spec.Method.Name is "" or Methods.Supervised)
            ? Methods.Supervised
            : spec.Method.Name;
        if (method != Methods.Supervised && !Methods.Classification.Contains(method))
            throw new ArgumentException($"'{method}' is not a classification adaptation method ({string.Join(", ", Methods.Classification)})");

        var run = RunPlan.From(spec, ShapesWorldCatalogue.DefaultSplits(spec.Kind), batch => OptimisationPlan.From(spec.Training,
            defaultOptimizer: "adamw",
            defaultLearningRate: BaseLearningRate(method) * batch / 256.0,
            defaultWeightDecay: optimizer => optimizer == "adamw" ? 0.05 : 0.0,
            undecayedGroups: UndecayedGroups));
        return new ClassificationPlan
        {
            Run = run,
            Method = method,
            Model = ModelOptions(spec, run, heads.Sum(h => h.Classes.Count), method),
            LabelFamily = family,
            Heads = heads.Count > 1 ? heads : null,
            Stream = StreamOf(spec, run, family),
        };
    }

    /// <summary>
    /// A folder dataset: classes from its sub-folders, splits from the path hash (sizes cap them), one evaluation
    /// "domain" named after the path. Everything else resolves as for ShapesWorld.
    /// </summary>
    private static ClassificationPlan FromFolder(ExperimentSpec spec, string? dataRoot)
    {
        var folder = FolderDataset.Open(dataRoot, spec.Data.Path ?? throw new ArgumentException("data.path is required for a folder dataset"));
        var shapes = spec with { Data = spec.Data with { Dataset = SpecDatasets.ShapesWorld, Path = null, LabelFamily = ShapesWorldCatalogue.LabelFamilies[0].Name } };
        var plan = From(shapes);
        var run = (plan.Run with { Spec = spec }).OverFolder(folder, spec.Data.PerClass);
        return plan with
        {
            Run = run,
            Folder = folder,
            Model = ModelOptions(spec, run, folder.Classes.Count, plan.Method),
            LabelFamily = "folder",
        };
    }

    /// <summary>The spec's pretraining stream, or null without <c>data.stream</c>.</summary>
    public static ShapesWorldStream? StreamOf(ExperimentSpec spec, RunPlan run, string? labelFamily) =>
        spec.Data.Stream == true
            ? new ShapesWorldStream(run.Seed, labelFamily, run.ImageSize, spec.Data.HeldOutDomains ?? [ShapesWorldCatalogue.DefaultHeldOutDomain])
            : null;

    private static VisionTransformerOptions ModelOptions(ExperimentSpec spec, RunPlan run, int classes, string method)
    {
        var m = spec.Method;
        var preset = run.Preset;
        IReadOnlySet<int> layers = (m.Layers ?? Enumerable.Range(0, preset.Depth).ToList()).ToHashSet();
        foreach (var l in layers)
            if (l < 0 || l >= preset.Depth) throw new ArgumentException($"method.layers: block {l} does not exist in {preset.Name} (0–{preset.Depth - 1})");
        // Frozen-backbone methods normalise features before the linear head (MAE-style probe); methods that train
        // the whole backbone keep a plain Linear head.
        bool normalisedHead = method is not (Methods.Supervised or Methods.FullFinetune);
        return new VisionTransformerOptions(
            preset, run.ImageSize, classes, normalisedHead,
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
                : null,
            FusedAttention: run.FusedAttention);
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

    /// <summary>The optimiser group of a trainable parameter (<c>training.parameterGroups</c>).</summary>
    public string GroupOf(string parameterName) =>
        ViTWeights.IsHead(parameterName) ? ParameterGroups.Head
        : parameterName.StartsWith("prompt_embeddings", StringComparison.Ordinal) ? ParameterGroups.Prompts
        : parameterName.Contains(".adapter.", StringComparison.Ordinal) || parameterName.Contains(".lora_", StringComparison.Ordinal) ? ParameterGroups.Adapters
        : Method == Methods.BitFit ? ParameterGroups.Biases
        : ParameterGroups.Backbone;

    public IEnumerable<string> EvaluationDomains => Run.EvaluationDomains;

    public ClassificationSplit Split(string domain, DataSplit split) => Folder is not null
        ? Folder.Split(split, Model.ImageSize, Run.Size(split), domain, split == DataSplit.Train ? Spec.Data.PerClass : null)
        : ShapesWorldDataset.Classification(ShapesWorldDataset.WorldSeed, domain, LabelFamily, split, Run.Size(split), Model.ImageSize);
}
