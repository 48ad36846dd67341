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

/// <summary>Method names.</summary>
public static class Methods
{
    public const string Supervised = "supervised";        // pretrain: backbone + linear head, all trained
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
    public static readonly IReadOnlyList<string> All = [Troa, Cosine, TagLookahead];
}

/// <summary>Multitask domain-adaptation mechanisms (<c>data.adaptation</c>).</summary>
public static class AdaptationModes
{
    public const string Adversarial = "adversarial";
    public const string PseudoLabels = "pseudo-labels";
    public static readonly IReadOnlyList<string> All = [Adversarial, PseudoLabels];
}
