using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Training.Multitask;

/// <summary>A multitask (dense) spec with every default resolved.</summary>
public sealed record MultitaskPlan
{
    public required ExperimentSpec Spec { get; init; }
    public required string Method { get; init; }
    public required IReadOnlyList<string> Tasks { get; init; }
    public required BackbonePreset Preset { get; init; }
    public required int ImageSize { get; init; }
    public required int AdapterBlocks { get; init; }
    public required string Estimator { get; init; }
    public required IReadOnlyList<string> MeasuredEstimators { get; init; }
    public required double AffinityStep { get; init; }
    public required string Setting { get; init; }
    public required string SourceDomain { get; init; }
    public required IReadOnlyList<string> TargetDomains { get; init; }
    public required IReadOnlyList<string> ZeroShotTasks { get; init; }
    public required string Adaptation { get; init; }
    /// <summary>Shuffled-task-label control: training targets permuted across images, independently per task.</summary>
    public required bool ShuffleTargets { get; init; }
    public required int TrainSize { get; init; }
    public required int ValidationSize { get; init; }
    public required int TestSize { get; init; }
    public required int BatchSize { get; init; }
    public required long TotalSteps { get; init; }
    public required string Optimizer { get; init; }
    public required double LearningRate { get; init; }
    public required double WeightDecay { get; init; }
    public required int WarmupSteps { get; init; }
    public required bool CosineSchedule { get; init; }
    public required int Seed { get; init; }
    public required int EvalInterval { get; init; }
    public required int CheckpointInterval { get; init; }

    /// <summary>Conditioning width E of the task vectors.</summary>
    public const int Conditioning = 64;

    /// <summary>Initial TROA weight of a target task on itself (the rest shared evenly): a diagonal prior, so task vectors differ from step 0.</summary>
    public const double TroaSelfPrior = 0.7;

    /// <summary>Whether task affinity is estimated (two or more tasks).</summary>
    public bool MeasuresAffinity => Tasks.Count >= 2 && Method != Methods.SingleTask;

    public IReadOnlyList<string> AllEstimators => MeasuresAffinity ? new[] { Estimator }.Concat(MeasuredEstimators).Distinct().ToList() : [];

    public IEnumerable<string> EvaluationDomains => new[] { SourceDomain }.Concat(TargetDomains).Distinct();

    /// <summary>The domain unlabelled data (domain adaptation) or the second phase (zero-shot transfer) comes from.</summary>
    public string? TargetDomain => TargetDomains.Count > 0 ? TargetDomains[0] : null;

    /// <summary>Default adapter blocks: a third of the depth (1 on vit-tiny-ci, 2 on vit-lab-s).</summary>
    public static int DefaultAdapterBlocks(BackbonePreset preset) => Math.Max(1, preset.Depth / 3);

    public static MultitaskPlan From(ExperimentSpec spec)
    {
        var m = spec.Method;
        if (!Methods.Dense.Contains(m.Name)) throw new ArgumentException($"'{m.Name}' is not a multitask method ({string.Join(", ", Methods.Dense)})");
        var preset = ModelCatalogue.Get(spec.Backbone.Preset);
        int image = spec.Backbone.ImageSize ?? preset.ImageSize;
        var defaults = ShapesWorldCatalogue.DefaultSplits(Kinds.Multitask);
        int train = spec.Data.TrainSize ?? defaults.Train, batch = spec.Training.BatchSize;
        long steps = spec.Training.Steps ?? (long)(spec.Training.Epochs ?? 1) * ((train + batch - 1) / batch);
        string estimator = m.Estimator ?? Estimators.Troa;
        bool fullTraining = m.Name is Methods.MultitaskFinetune or Methods.SingleTask;
        return new MultitaskPlan
        {
            Spec = spec,
            Method = m.Name,
            Tasks = spec.Tasks.ToList(),
            Preset = preset,
            ImageSize = image,
            AdapterBlocks = Math.Clamp(m.AdapterBlocks ?? DefaultAdapterBlocks(preset), 1, preset.Depth),
            Estimator = estimator,
            MeasuredEstimators = (m.MeasuredEstimators ?? Estimators.All.Where(e => e != estimator).ToList()).Where(e => e != estimator).ToList(),
            AffinityStep = m.AffinityStep ?? 0.1,
            Setting = spec.Data.Setting,
            SourceDomain = spec.Data.SourceDomain,
            TargetDomains = spec.Data.TargetDomains,
            ZeroShotTasks = spec.Data.ZeroShotTasks ?? [],
            Adaptation = spec.Data.Adaptation ?? AdaptationModes.Adversarial,
            ShuffleTargets = spec.Data.ShuffleTargets ?? false,
            TrainSize = train,
            ValidationSize = spec.Data.ValidationSize ?? defaults.Validation,
            TestSize = spec.Data.TestSize ?? defaults.Test,
            BatchSize = batch,
            TotalSteps = spec.Kind == Kinds.Evaluate ? 0 : Math.Max(1, steps),
            Optimizer = spec.Training.Optimizer ?? "adamw",
            LearningRate = spec.Training.LearningRate ?? (fullTraining ? 1e-3 : 8e-3) * batch / 256.0,
            WeightDecay = spec.Training.WeightDecay ?? 0.01,
            WarmupSteps = spec.Training.WarmupSteps,
            CosineSchedule = spec.Training.Schedule != "constant",
            Seed = spec.Training.Seed,
            EvalInterval = spec.Training.EvalInterval,
            CheckpointInterval = spec.Training.CheckpointInterval,
        };
    }
}
