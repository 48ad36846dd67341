using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Optimisation;
using AdapterLab.Training.Runs;

namespace AdapterLab.Training.Multitask;

/// <summary>
/// A multitask (dense) spec with every default resolved: the shared <see cref="RunPlan"/> plus what only multitask has
/// (method, tasks, adapters, affinity estimators, setting, controls).
/// </summary>
public sealed record MultitaskPlan
{
    public required RunPlan Run { get; init; }
    public required string Method { get; init; }
    public required IReadOnlyList<string> Tasks { get; init; }
    public required int AdapterBlocks { get; init; }
    public required string Estimator { get; init; }
    public required IReadOnlyList<string> MeasuredEstimators { get; init; }
    public required double AffinityStep { get; init; }
    /// <summary>Steps between task-affinity updates.</summary>
    public required int AffinityInterval { get; init; }
    public required string Setting { get; init; }
    public required IReadOnlyList<string> ZeroShotTasks { get; init; }
    public required string Adaptation { get; init; }
    /// <summary>Shuffled-task-label control: training targets permuted across images, independently per task.</summary>
    public required bool ShuffleTargets { get; init; }

    public ExperimentSpec Spec => Run.Spec;
    public BackbonePreset Preset => Run.Preset;
    public int ImageSize => Run.ImageSize;
    public int Seed => Run.Seed;
    public int BatchSize => Run.BatchSize;
    public long TotalSteps => Run.TotalSteps;
    public string SourceDomain => Run.SourceDomain;
    public IReadOnlyList<string> TargetDomains => Run.TargetDomains;

    /// <summary>Conditioning width E of the task vectors.</summary>
    public const int Conditioning = 64;

    /// <summary>Batches whose per-task gradients are averaged for one affinity update (ml-spec).</summary>
    public const int AffinityBatches = 4;

    /// <summary>
    /// TAG's lookahead learning rate: fixed, never the schedule's (which reaches ~1e-7 at the end, where float32 rounding
    /// of the losses swamps the ratio); large enough that the loss change dwarfs float32 rounding.
    /// </summary>
    public const double TagLookaheadRate = 1e-2;

    /// <summary>The default update cadence: every 50 steps, or twice per run when a run is shorter than 100 steps.</summary>
    public static int DefaultAffinityInterval(long totalSteps) => (int)Math.Clamp(totalSteps / 2, 1, 50);

    /// <summary>Base rates (lr = base × batch / 256): the decoders (and adapters) of every method, and an encoder that trains.</summary>
    public const double DecoderBaseRate = 8e-3, EncoderBaseRate = 1e-3;

    /// <summary>Whether task affinity is estimated (two or more tasks).</summary>
    public bool MeasuresAffinity => Tasks.Count >= 2 && Method != Methods.SingleTask;

    public IReadOnlyList<string> AllEstimators => MeasuresAffinity ? new[] { Estimator }.Concat(MeasuredEstimators).Distinct().ToList() : [];

    public IEnumerable<string> EvaluationDomains => Run.EvaluationDomains;

    /// <summary>The optimiser group of a trainable parameter (<c>training.parameterGroups</c>); discriminators have their own optimiser.</summary>
    public static string GroupOf(string parameterName) =>
        parameterName.StartsWith("decoders.", StringComparison.Ordinal) ? ParameterGroups.Decoders
        : parameterName.StartsWith("adapters.", StringComparison.Ordinal) ? ParameterGroups.Adapters
        : parameterName.StartsWith("task_embeddings", StringComparison.Ordinal) ? ParameterGroups.TaskConditioning
        : ParameterGroups.Encoder;

    /// <summary>The domain unlabelled data (domain adaptation) or the second phase (zero-shot transfer) comes from.</summary>
    public string? TargetDomain => TargetDomains.Count > 0 ? TargetDomains[0] : null;

    /// <summary>Default adapter blocks: a third of the depth (1 on vit-tiny-ci, 2 on vit-lab-s).</summary>
    public static int DefaultAdapterBlocks(BackbonePreset preset) => Math.Max(1, preset.Depth / 3);

    public static MultitaskPlan From(ExperimentSpec spec)
    {
        var m = spec.Method;
        if (!Methods.Dense.Contains(m.Name)) throw new ArgumentException($"'{m.Name}' is not a multitask method ({string.Join(", ", Methods.Dense)})");
        string estimator = m.Estimator ?? Estimators.Troa;
        bool fullTraining = m.Name is Methods.MultitaskFinetune or Methods.SingleTask;
        // One decoder rate for every method (ml-spec): the fresh decoders of fine-tuning and single-task learn as fast as
        // vtagml's and multitask-shared's; only an encoder that trains runs at the lower encoder rate.
        var run = RunPlan.From(spec, ShapesWorldCatalogue.DefaultSplits(Kinds.Multitask), batch => OptimisationPlan.From(spec.Training,
            defaultOptimizer: "adamw",
            defaultLearningRate: (fullTraining ? EncoderBaseRate : DecoderBaseRate) * batch / 256.0,
            defaultWeightDecay: _ => 0.01,
            groupDefaultRates: fullTraining ? new Dictionary<string, double> { [ParameterGroups.Decoders] = DecoderBaseRate * batch / 256.0 } : null));
        return new MultitaskPlan
        {
            Run = run,
            Method = m.Name,
            Tasks = spec.Tasks.ToList(),
            AdapterBlocks = Math.Clamp(m.AdapterBlocks ?? DefaultAdapterBlocks(run.Preset), 1, run.Preset.Depth),
            Estimator = estimator,
            MeasuredEstimators = (m.MeasuredEstimators ?? Estimators.All.Where(e => e != estimator).ToList()).Where(e => e != estimator).ToList(),
            AffinityStep = m.AffinityStep ?? 0.5,
            AffinityInterval = m.AffinityInterval ?? DefaultAffinityInterval(run.TotalSteps),
            Setting = spec.Data.Setting,
            ZeroShotTasks = spec.Data.ZeroShotTasks ?? [],
            Adaptation = spec.Data.Adaptation ?? AdaptationModes.Adversarial,
            ShuffleTargets = spec.Data.ShuffleTargets ?? false,
        };
    }
}
