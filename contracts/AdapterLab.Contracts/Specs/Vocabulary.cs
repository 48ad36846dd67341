namespace AdapterLab.Contracts.Specs;

/// <summary>Experiment kinds.</summary>
public static class Kinds
{
    public const string Pretrain = "pretrain";
    public const string Adapt = "adapt";
    public const string Multitask = "multitask";
    public const string Evaluate = "evaluate";
    public static readonly IReadOnlyList<string> All = [Pretrain, Adapt, Multitask, Evaluate];
}

/// <summary>Where a backbone's weights come from.</summary>
public static class BackboneSources
{
    public const string Random = "random";
    public const string Named = "named";
    public const string Experiment = "experiment";
    public static readonly IReadOnlyList<string> All = [Random, Named, Experiment];
}

/// <summary>Optimiser parameter groups (<c>training.parameterGroups</c>): which parameters share a learning rate and weight decay.</summary>
public static class ParameterGroups
{
    public const string Head = "head";
    public const string Backbone = "backbone";
    public const string Adapters = "adapters";
    public const string Prompts = "prompts";
    public const string Biases = "biases";
    public const string Encoder = "encoder";
    public const string Decoders = "decoders";
    public const string TaskConditioning = "task-conditioning";
    public static readonly IReadOnlyList<string> All = [Head, Backbone, Adapters, Prompts, Biases, Encoder, Decoders, TaskConditioning];
}

/// <summary>
/// Floors: the trivial predictions a result must beat, computed by the trainer from the train split and evaluated on the
/// same examples as the model (classification: the majority class; segmentation: the per-pixel majority class; depth: the
/// per-pixel mean log-depth; normals: the mean normal, renormalised; edges: all zero). Reported as final results whose
/// metric is the model's metric with <see cref="MetricSuffix"/> (e.g. <c>accuracy@floor</c>).
/// </summary>
public static class Floors
{
    public const string MetricSuffix = "@floor";
    public const string MajorityClass = "majority-class";
    public const string ImageBlindPrior = "image-blind-prior";

    public static string MetricOf(string metric) => metric + MetricSuffix;

    public static bool IsFloor(string metric) => metric.EndsWith(MetricSuffix, StringComparison.Ordinal);
}

/// <summary>Attention kernels (<c>training.attention</c>).</summary>
public static class AttentionKernels
{
    public const string Fused = "fused";
    public const string Composed = "composed";
    public static readonly IReadOnlyList<string> All = [Fused, Composed];
}

/// <summary>Compute precisions (<c>training.precision</c>).</summary>
public static class Precisions
{
    public const string Fp32 = "fp32";
    public const string Bf16 = "bf16";
    public static readonly IReadOnlyList<string> All = [Fp32, Bf16];
}

/// <summary>Method names.</summary>
public static class Methods
{
    public const string Supervised = "supervised";        // pretrain: backbone + linear head, all trained
    public const string Mae = "mae";                      // pretrain: masked autoencoding (He et al. 2022), no labels
    public const string LinearProbe = "linear-probe";
    public const string FullFinetune = "full-finetune";
    public const string VptShallow = "vpt-shallow";
    public const string VptDeep = "vpt-deep";
    public const string AdaptFormer = "adaptformer";
    public const string Lora = "lora";
    public const string BitFit = "bitfit";
    public const string Vtagml = "vtagml";
    public const string SingleTask = "single-task";
    public const string MultitaskShared = "multitask-shared";
    public const string MultitaskFinetune = "multitask-finetune";

    public static readonly IReadOnlyList<string> Classification = [LinearProbe, FullFinetune, VptShallow, VptDeep, AdaptFormer, Lora, BitFit];
    public static readonly IReadOnlyList<string> Dense = [Vtagml, SingleTask, MultitaskShared, MultitaskFinetune];

    /// <summary>Classification methods whose trained part is an adapter on a frozen backbone: what the model registry registers and serving batches together (full fine-tuning changes the backbone itself).</summary>
    public static readonly IReadOnlyList<string> Servable = [LinearProbe, VptShallow, VptDeep, AdaptFormer, Lora, BitFit];

    /// <summary>Dense multitask methods that leave the backbone file's encoder frozen (task-adapted blocks and decoders on top): registered and served as dense models, one model per pass. <c>single-task</c> and <c>multitask-finetune</c> change the encoder itself.</summary>
    public static readonly IReadOnlyList<string> DenseServable = [Vtagml, MultitaskShared];

    /// <summary>Everything the model registry registers: classification adapters and dense models on a frozen backbone.</summary>
    public static readonly IReadOnlyList<string> Registrable = [.. Servable, .. DenseServable];
}

/// <summary>Task names.</summary>
public static class Tasks
{
    public const string Classification = "classification";
    public const string Segmentation = "segmentation";
    public const string Depth = "depth";
    public const string Normals = "normals";
    public const string Edges = "edges";
    public static readonly IReadOnlyList<string> Dense = [Segmentation, Depth, Normals, Edges];

    /// <summary>
    /// The affinity's positive control: a dense task entered a second time as <c>&lt;task&gt;#2</c> (its own decoder and
    /// task embedding, the same targets), which a working affinity estimator must rank first in the original's column and
    /// the original first in the copy's.
    /// </summary>
    public const string CopySuffix = "#2";

    /// <summary>The task a (possibly copied) task name trains: <c>depth#2</c> → <c>depth</c>.</summary>
    public static string KindOf(string task) => task.EndsWith(CopySuffix, StringComparison.Ordinal) ? task[..^CopySuffix.Length] : task;

    public static bool IsCopy(string task) => task.EndsWith(CopySuffix, StringComparison.Ordinal);
}

/// <summary>Transfer settings.</summary>
public static class Settings
{
    public const string Supervised = "supervised";
    public const string Multitask = "multitask";
    public const string ZeroShotTaskTransfer = "zero-shot-task-transfer";
    public const string DomainAdaptation = "domain-adaptation";
    public const string DomainGeneralization = "domain-generalization";
    public static readonly IReadOnlyList<string> All = [Supervised, Multitask, ZeroShotTaskTransfer, DomainAdaptation, DomainGeneralization];
}

/// <summary>Datasets.</summary>
public static class Datasets
{
    public const string ShapesWorld = "shapesworld";
    public const string Folder = "folder";
    public static readonly IReadOnlyList<string> All = [ShapesWorld, Folder];
}

/// <summary>Task-affinity estimators (multitask); <see cref="GradientCosine"/> names the raw matrix recorded beside them.</summary>
public static class Estimators
{
    public const string Troa = "troa";
    public const string Cosine = "cosine";
    public const string TagLookahead = "tag-lookahead";
    public const string GradientCosine = "gradient-cosine";
    /// <summary>The raw directional transfer statistic r[i→j] of one update (measured, not an estimator that conditions the model).</summary>
    public const string DirectionalTransfer = "transfer";
    public static readonly IReadOnlyList<string> All = [Troa, Cosine, TagLookahead];
}

/// <summary>Multitask domain-adaptation mechanisms (<c>data.adaptation</c>).</summary>
public static class AdaptationModes
{
    public const string Adversarial = "adversarial";
    public const string PseudoLabels = "pseudo-labels";
    public static readonly IReadOnlyList<string> All = [Adversarial, PseudoLabels];
}
