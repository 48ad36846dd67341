namespace AdapterLab.Contracts.Specs;

/// <summary>
/// One experiment, as a researcher writes it: what to train, on which tasks and domains, and how.
/// Versioned by <see cref="SpecVersion"/>; validated by <see cref="SpecValidator"/> (API, dashboard form and
/// orchestrator share it). String-valued choices (kind, method, …) are kept as strings so that an unknown value is a
/// field error with a clear message rather than a JSON parse failure.
/// </summary>
public sealed record ExperimentSpec
{
    /// <summary>Spec format version; the current one is <see cref="CurrentVersion"/>.</summary>
    public int SpecVersion { get; init; } = CurrentVersion;

    /// <summary>Human-readable name shown in lists (optional).</summary>
    public string? Name { get; init; }

    /// <summary><c>pretrain</c>, <c>adapt</c>, <c>multitask</c> or <c>evaluate</c>.</summary>
    public string Kind { get; init; } = "";

    /// <summary>Backbone preset and where its weights come from.</summary>
    public BackboneSpec Backbone { get; init; } = new();

    /// <summary>Adaptation method and its options.</summary>
    public MethodSpec Method { get; init; } = new();

    /// <summary>Tasks: <c>classification</c>, or dense tasks <c>segmentation</c>, <c>depth</c>, <c>normals</c>, <c>edges</c>.</summary>
    public IReadOnlyList<string> Tasks { get; init; } = ["classification"];

    /// <summary>Dataset, domains and transfer setting.</summary>
    public DataSpec Data { get; init; } = new();

    /// <summary>Optimisation: steps, batch, optimizer, learning rate, schedule, seed, intervals.</summary>
    public TrainingSpec Training { get; init; } = new();

    /// <summary>Automatic retries after infrastructure loss or training failure.</summary>
    public RetrySpec Retry { get; init; } = new();

    /// <summary>Where the experiment may run.</summary>
    public ResourcesSpec Resources { get; init; } = new();

    /// <summary>Higher runs first; ties go by submission time.</summary>
    public int Priority { get; init; }

    /// <summary>Free-form labels for filtering.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The benchmark suite this experiment belongs to, if any.</summary>
    public string? Suite { get; init; }

    public const int CurrentVersion = 1;
}

/// <summary>Backbone preset and the origin of its weights.</summary>
public sealed record BackboneSpec
{
    /// <summary>Preset from the model catalogue, e.g. <c>vit-tiny-ci</c>.</summary>
    public string Preset { get; init; } = "";

    /// <summary><c>random</c> (fresh initialisation), <c>named</c> (a registered backbone) or <c>experiment</c> (an experiment's final checkpoint).</summary>
    public string Source { get; init; } = BackboneSources.Random;

    /// <summary>Registered backbone name when <see cref="Source"/> is <c>named</c>.</summary>
    public string? Name { get; init; }

    /// <summary>Experiment id when <see cref="Source"/> is <c>experiment</c>.</summary>
    public Guid? ExperimentId { get; init; }

    /// <summary>For <c>pretrain</c>: the name under which the trained backbone is registered.</summary>
    public string? RegisterAs { get; init; }

    /// <summary>Input image size when it differs from the preset's (position embeddings are interpolated).</summary>
    public int? ImageSize { get; init; }
}

/// <summary>Adaptation method and its options; options that do not apply to the method are rejected.</summary>
public sealed record MethodSpec
{
    /// <summary>Method name, e.g. <c>linear-probe</c>, <c>adaptformer</c>.</summary>
    public string Name { get; init; } = "";

    /// <summary>AdaptFormer bottleneck width d̂.</summary>
    public int? Bottleneck { get; init; }

    /// <summary>AdaptFormer scale s.</summary>
    public double? Scale { get; init; }

    /// <summary>AdaptFormer: learn the scale instead of fixing it.</summary>
    public bool? LearnableScale { get; init; }

    /// <summary>AdaptFormer: <c>parallel</c> or <c>sequential</c>.</summary>
    public string? Placement { get; init; }

    /// <summary>Block indices that get adapters (default: all).</summary>
    public IReadOnlyList<int>? Layers { get; init; }

    /// <summary>AdaptFormer adapter norm: <c>none</c>, <c>in</c> or <c>out</c>.</summary>
    public string? AdapterNorm { get; init; }

    /// <summary>Adapter dropout.</summary>
    public double? Dropout { get; init; }

    /// <summary>VPT prompt tokens per layer.</summary>
    public int? PromptTokens { get; init; }

    /// <summary>LoRA rank.</summary>
    public int? Rank { get; init; }

    /// <summary>LoRA alpha.</summary>
    public double? Alpha { get; init; }

    /// <summary>Multitask: number of final blocks that become vision-adapter blocks.</summary>
    public int? AdapterBlocks { get; init; }

    /// <summary>Multitask: task-affinity estimator that conditions the model (<c>troa</c>, <c>cosine</c>, <c>tag-lookahead</c>).</summary>
    public string? Estimator { get; init; }

    /// <summary>Multitask: extra estimators measured alongside.</summary>
    public IReadOnlyList<string>? MeasuredEstimators { get; init; }

    /// <summary>Multitask: TROA exponentiated-gradient step size η (default 0.5; one step per affinity update).</summary>
    public double? AffinityStep { get; init; }

    /// <summary>Multitask: steps between task-affinity updates (default 50, or half the run when it is shorter than 100 steps).</summary>
    public int? AffinityInterval { get; init; }

    /// <summary><c>mae</c> pretraining: the fraction of each image's patches hidden from the encoder (default 0.75).</summary>
    public double? MaskRatio { get; init; }
}

/// <summary>Dataset, domains and setting.</summary>
public sealed record DataSpec
{
    /// <summary><c>shapesworld</c> (procedural) or <c>folder</c> (a registered folder dataset).</summary>
    public string Dataset { get; init; } = Datasets.ShapesWorld;

    /// <summary>Classification label family (ShapesWorld), e.g. <c>largest-shape</c>.</summary>
    public string? LabelFamily { get; init; }

    /// <summary>
    /// Supervised pretraining with several label heads at once (instead of <see cref="LabelFamily"/>): one linear head
    /// per family on the shared CLS feature, the loss the mean of their cross-entropies; accuracy reported per family.
    /// </summary>
    public IReadOnlyList<string>? LabelFamilies { get; init; }

    /// <summary>Labelled training domain.</summary>
    public string SourceDomain { get; init; } = "synthetic";

    /// <summary>Further domains evaluated on the test split (unlabelled targets for domain adaptation).</summary>
    public IReadOnlyList<string> TargetDomains { get; init; } = [];

    /// <summary><c>supervised</c>, <c>multitask</c>, <c>zero-shot-task-transfer</c>, <c>domain-adaptation</c>, <c>domain-generalization</c>.</summary>
    public string Setting { get; init; } = Settings.Supervised;

    /// <summary>Train split size (default per kind, see ml-spec).</summary>
    public int? TrainSize { get; init; }

    /// <summary>Validation split size.</summary>
    public int? ValidationSize { get; init; }

    /// <summary>Test split size.</summary>
    public int? TestSize { get; init; }

    /// <summary>
    /// ShapesWorld pretraining: draw fresh scenes every step (seeded by the training seed, resumable) in appearances
    /// sampled around the domains not in <see cref="HeldOutDomains"/>, instead of a fixed training set. Budget by
    /// <c>training.steps</c>; label families kept for downstream tasks may not be trained on.
    /// </summary>
    public bool? Stream { get; init; }

    /// <summary>With <see cref="Stream"/>: domains the stream never samples around (default <c>["fog"]</c>), kept for evaluating transfer.</summary>
    public IReadOnlyList<string>? HeldOutDomains { get; init; }

    /// <summary>Folder dataset path, relative to the configured data root.</summary>
    public string? Path { get; init; }

    /// <summary>
    /// Folder datasets: a few-label view — at most this many training images per class (the first ones in the split's
    /// hash order, so a view of 10 is inside the view of 100). Validation and test are untouched.
    /// </summary>
    public int? PerClass { get; init; }

    /// <summary>Multitask <c>zero-shot-task-transfer</c>: tasks trained on the source domain only and evaluated untrained on the target domain.</summary>
    public IReadOnlyList<string>? ZeroShotTasks { get; init; }

    /// <summary>Multitask <c>domain-adaptation</c>: <c>adversarial</c> (output-space discriminators, default) or <c>pseudo-labels</c>.</summary>
    public string? Adaptation { get; init; }

    /// <summary>
    /// Multitask control: each task's training targets are permuted across the training images, independently per task
    /// (seeded by the run's seed), so no task's labels belong to its image or to the other tasks' labels. Affinity
    /// measured under it should lose the structure of a real run. Validation and test keep their true labels.
    /// </summary>
    public bool? ShuffleTargets { get; init; }
}

/// <summary>Optimisation settings.</summary>
public sealed record TrainingSpec
{
    /// <summary>Optimiser steps (give this or <see cref="Epochs"/>).</summary>
    public int? Steps { get; init; }

    /// <summary>Passes over the train split.</summary>
    public int? Epochs { get; init; }

    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary><c>sgd</c> or <c>adamw</c> (default: per method).</summary>
    public string? Optimizer { get; init; }

    /// <summary>Learning rate actually used (default: per method, base × batch / 256).</summary>
    public double? LearningRate { get; init; }

    /// <summary>Weight decay.</summary>
    public double? WeightDecay { get; init; }

    /// <summary>SGD momentum.</summary>
    public double? Momentum { get; init; }

    /// <summary><c>cosine</c> (linear warm-up then cosine) or <c>constant</c>.</summary>
    public string Schedule { get; init; } = "cosine";

    /// <summary>Linear warm-up steps (default: 10 % of the run's steps; 0 turns warm-up off).</summary>
    public int? WarmupSteps { get; init; }

    /// <summary>Seed for initialisation and data order.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Evaluate every N steps (0: only at the end).</summary>
    public int EvalInterval { get; init; }

    /// <summary>Checkpoint every N steps (0: only at the end).</summary>
    public int CheckpointInterval { get; init; }

    /// <summary>Which resumable checkpoints to keep: <c>latest</c> (default), <c>best</c> (best validation score, plus the latest) or <c>all</c>.</summary>
    public string CheckpointRetention { get; init; } = "latest";

    /// <summary>
    /// Benchmark mode (<c>bench perf-dispatch</c>): the experiment goes through dispatch, its attempt, lease and agent
    /// reports like any other, but the agent builds no model and trains nothing, and it succeeds without results. The
    /// validator refuses it unless the platform enables it (web: <c>ADAPTERLAB_ALLOW_DRY_RUN=1</c>). Left out (null) of
    /// ordinary specs, so their canonical JSON and hashes are unchanged.
    /// </summary>
    public bool? DryRun { get; init; }

    /// <summary>
    /// Attention kernel of the ViT blocks: <c>fused</c> (default; libtorch's scaled-dot-product kernel) or <c>composed</c>
    /// (matmul–softmax–matmul, equal to ~1e-7). An option of this run's model, not of the process: two attempts in one agent
    /// may differ. Left out (null) of ordinary specs.
    /// </summary>
    public string? Attention { get; init; }

    /// <summary>
    /// Compute precision: <c>fp32</c> (default) or <c>bf16</c> — matrix products in bfloat16 on casts of fp32 master
    /// weights, everything else fp32. Off on CPU (the run trains in fp32 and its provenance says so). Part of the
    /// configuration: bf16 changes results beyond seed noise. Left out (null) of ordinary specs.
    /// </summary>
    public string? Precision { get; init; }

    /// <summary>
    /// Per parameter group learning rate and weight decay, overriding the run's <see cref="LearningRate"/> and
    /// <see cref="WeightDecay"/> for that group (the schedule's shape applies to every group). Groups:
    /// classification <c>head</c>, <c>backbone</c> (full fine-tuning, pretraining), <c>adapters</c> (AdaptMLP, LoRA),
    /// <c>prompts</c> (VPT), <c>biases</c> (BitFit); multitask <c>encoder</c>, <c>adapters</c>, <c>decoders</c>,
    /// <c>task-conditioning</c>. A group the method does not train is ignored. Left out (null) of ordinary specs.
    /// </summary>
    public IReadOnlyDictionary<string, ParameterGroupSpec>? ParameterGroups { get; init; }
}

/// <summary>One parameter group's optimisation overrides (<see cref="TrainingSpec.ParameterGroups"/>).</summary>
public sealed record ParameterGroupSpec
{
    /// <summary>Peak learning rate of this group (default: the run's).</summary>
    public double? LearningRate { get; init; }

    /// <summary>Weight decay of this group (default: the run's).</summary>
    public double? WeightDecay { get; init; }
}

/// <summary>Retry policy.</summary>
public sealed record RetrySpec
{
    /// <summary>Attempts in total after infrastructure loss (a lost agent), including the first.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Extra attempts after a failure of the training itself (exception, NaN).</summary>
    public int OnTrainingFailure { get; init; }
}

/// <summary>Placement constraints.</summary>
public sealed record ResourcesSpec
{
    /// <summary>Agent pool, e.g. <c>cpu</c> or <c>cuda</c>.</summary>
    public string Pool { get; init; } = "cpu";

    /// <summary><c>auto</c>, <c>cpu</c> or <c>cuda</c>.</summary>
    public string Device { get; init; } = "auto";
}
