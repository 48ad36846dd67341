using System.Text.RegularExpressions;
using AdapterLab.Contracts.Catalogue;

namespace AdapterLab.Contracts.Specs;

/// <summary>
/// The one validator for experiment specs (REST API, dashboard form, orchestrator). Errors are keyed by the JSON path
/// of the offending field (<c>training.steps</c>), so callers can show them next to the field or in ProblemDetails.
/// </summary>
public static partial class SpecValidator
{
    /// <summary>Methods the training library implements today; the rest are rejected with a clear message.</summary>
    public static readonly IReadOnlySet<string> AvailableMethods = new HashSet<string>
    {
        Methods.Supervised, Methods.Mae, Methods.LinearProbe, Methods.FullFinetune, Methods.VptShallow, Methods.VptDeep,
        Methods.AdaptFormer, Methods.Lora, Methods.BitFit,
        Methods.Vtagml, Methods.SingleTask, Methods.MultitaskShared, Methods.MultitaskFinetune,
    };

    /// <summary>Kinds the platform runs today.</summary>
    public static readonly IReadOnlySet<string> AvailableKinds = new HashSet<string> { Kinds.Pretrain, Kinds.Adapt, Kinds.Multitask, Kinds.Evaluate };

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex NamePattern();

    /// <summary>True for a name a spec may give as its pool (quotas are set per pool under the same rule).</summary>
    public static bool IsPoolName(string? pool) => NamePattern().IsMatch(pool ?? "");

    /// <summary>Validates a spec; an empty result means valid.</summary>
    /// <param name="allowDryRun">Whether this platform accepts <c>training.dryRun</c> (benchmarks only; off by default).</param>
    public static IReadOnlyDictionary<string, string[]> Validate(ExperimentSpec spec, bool allowDryRun = false)
    {
        var e = new ErrorBag();
        ValidateInputs(spec, "", e);
        if (e.Structural) return e.ToDictionary();   // a required part is null: the checks below would dereference it
        if (spec.SpecVersion != ExperimentSpec.CurrentVersion)
            e.Add("specVersion", $"unsupported spec version {spec.SpecVersion}; the current version is {ExperimentSpec.CurrentVersion}");
        if (spec.Name is { Length: > 200 }) e.Add("name", "must be at most 200 characters");
        else if (spec.Name is not null && string.IsNullOrWhiteSpace(spec.Name)) e.Add("name", "give a name with at least one visible character, or leave it out");

        if (!Kinds.All.Contains(spec.Kind))
            e.Add("kind", $"unknown kind '{spec.Kind}'; expected one of {string.Join(", ", Kinds.All)}");
        else if (!AvailableKinds.Contains(spec.Kind))
            e.Add("kind", $"kind '{spec.Kind}' is not available yet on this platform");

        var preset = ValidateBackbone(spec, e);
        ValidateMethod(spec, preset, e);
        ValidateTasksAndData(spec, e);
        ValidateTraining(spec.Training, e, evaluate: spec.Kind == Kinds.Evaluate);
        if (spec.Training.DryRun == true && !allowDryRun)
            e.Add("training.dryRun", "dry-run trains nothing and is for benchmarks only; this platform does not enable it (web setting ADAPTERLAB_ALLOW_DRY_RUN=1)");
        ValidateMultitask(spec, preset, e);

        if (spec.Retry.MaxAttempts is < 1 or > 20) e.Add("retry.maxAttempts", "must be between 1 and 20");
        if (spec.Retry.OnTrainingFailure is < 0 or > 10) e.Add("retry.onTrainingFailure", "must be between 0 and 10");
        if (!NamePattern().IsMatch(spec.Resources.Pool ?? "")) e.Add("resources.pool", "must be a lower-case name such as 'cpu' or 'cuda'");
        if (spec.Resources.Device is not ("auto" or "cpu" or "cuda")) e.Add("resources.device", "must be 'auto', 'cpu' or 'cuda'");
        if (spec.Priority is < -1000 or > 1000) e.Add("priority", "must be between -1000 and 1000");
        if (spec.Tags.Count > 32) e.Add("tags", "at most 32 tags");
        for (int i = 0; i < spec.Tags.Count; i++)
            if (string.IsNullOrWhiteSpace(spec.Tags[i]) || spec.Tags[i].Length > 64) e.Add($"tags[{i}]", "must be 1 to 64 characters");
        if (spec.Suite is not null && !NamePattern().IsMatch(spec.Suite)) e.Add("suite", "must be a lower-case name");
        return e.ToDictionary();
    }

    private static BackbonePreset? ValidateBackbone(ExperimentSpec spec, ErrorBag e)
    {
        var b = spec.Backbone;
        var preset = ModelCatalogue.Find(b.Preset);
        if (preset is null)
            e.Add("backbone.preset", $"unknown preset '{b.Preset}'; expected one of {string.Join(", ", ModelCatalogue.Presets.Select(p => p.Name))}");
        if (!BackboneSources.All.Contains(b.Source))
            e.Add("backbone.source", $"unknown source '{b.Source}'; expected one of {string.Join(", ", BackboneSources.All)}");
        if (b.Source == BackboneSources.Named && (b.Name is null || !NamePattern().IsMatch(b.Name)))
            e.Add("backbone.name", "a named backbone needs a lower-case name (letters, digits, '.', '-', '_')");
        if (b.Source == BackboneSources.Experiment && b.ExperimentId is null)
            e.Add("backbone.experimentId", "required when backbone.source is 'experiment'");
        if (b.Source != BackboneSources.Named && b.Name is not null)
            e.Add("backbone.name", "only used when backbone.source is 'named'");
        if (b.RegisterAs is not null)
        {
            if (spec.Kind != Kinds.Pretrain) e.Add("backbone.registerAs", "only a pretrain experiment registers a backbone");
            else if (!NamePattern().IsMatch(b.RegisterAs)) e.Add("backbone.registerAs", "must be a lower-case name (letters, digits, '.', '-', '_')");
        }
        if (b.ImageSize is { } size && preset is not null && (size < preset.PatchSize || size % preset.PatchSize != 0 || size > 1024))
            e.Add("backbone.imageSize", $"must be a multiple of the patch size {preset.PatchSize} and at most 1024");
        if (spec.Kind == Kinds.Evaluate && b.Source == BackboneSources.Random)
            e.Add("backbone.source", "evaluate runs an existing checkpoint: use 'experiment' or 'named'");
        return preset;
    }

    private static void ValidateMethod(ExperimentSpec spec, BackbonePreset? preset, ErrorBag e)
    {
        var m = spec.Method;
        if (string.IsNullOrEmpty(m.Name)) { e.Add("method.name", "required"); return; }
        var allowed = spec.Kind switch
        {
            Kinds.Pretrain => [Methods.Supervised, Methods.Mae],
            Kinds.Adapt => Methods.Classification,
            // Evaluating a pretrain's classifier (a backbone it registered, or the experiment) runs its supervised head.
            Kinds.Evaluate => [Methods.Supervised, .. Methods.Classification, .. Methods.Dense],
            Kinds.Multitask => Methods.Dense,
            _ => (IReadOnlyList<string>)[],
        };
        if (!allowed.Contains(m.Name) && !Methods.Classification.Contains(m.Name) && !Methods.Dense.Contains(m.Name) && m.Name is not (Methods.Supervised or Methods.Mae))
        {
            e.Add("method.name", $"unknown method '{m.Name}'");
            return;
        }
        if (allowed.Count > 0 && !allowed.Contains(m.Name))
        {
            e.Add("method.name", $"method '{m.Name}' does not apply to kind '{spec.Kind}'; expected one of {string.Join(", ", allowed)}");
            return;
        }
        if (!AvailableMethods.Contains(m.Name))
        {
            e.Add("method.name", $"method '{m.Name}' is not available yet on this platform");
            return;
        }

        bool adaptFormer = m.Name == Methods.AdaptFormer, vpt = m.Name is Methods.VptShallow or Methods.VptDeep, lora = m.Name == Methods.Lora;
        void OnlyFor(bool applies, object? value, string field, string owner)
        {
            if (!applies && value is not null) e.Add($"method.{field}", $"does not apply to method '{m.Name}' (only {owner})");
        }
        OnlyFor(adaptFormer, m.Bottleneck, "bottleneck", "adaptformer");
        OnlyFor(adaptFormer, m.Scale, "scale", "adaptformer");
        OnlyFor(adaptFormer, m.LearnableScale, "learnableScale", "adaptformer");
        OnlyFor(adaptFormer, m.Placement, "placement", "adaptformer");
        OnlyFor(adaptFormer, m.AdapterNorm, "adapterNorm", "adaptformer");
        OnlyFor(adaptFormer, m.Dropout, "dropout", "adaptformer");
        OnlyFor(adaptFormer || lora, m.Layers, "layers", "adaptformer, lora");
        OnlyFor(vpt, m.PromptTokens, "promptTokens", "vpt-shallow, vpt-deep");
        OnlyFor(lora, m.Rank, "rank", "lora");
        OnlyFor(lora, m.Alpha, "alpha", "lora");
        bool dense = Methods.Dense.Contains(m.Name);
        OnlyFor(dense, m.AdapterBlocks, "adapterBlocks", "multitask methods");
        OnlyFor(dense, m.Estimator, "estimator", "multitask methods");
        OnlyFor(dense, m.MeasuredEstimators, "measuredEstimators", "multitask methods");
        OnlyFor(dense, m.AffinityStep, "affinityStep", "multitask methods");
        OnlyFor(dense, m.AffinityInterval, "affinityInterval", "multitask methods");
        OnlyFor(m.Name == Methods.Mae, m.MaskRatio, "maskRatio", "mae");
        if (m.MaskRatio is { } mask && !(mask >= 0.05 && mask <= 0.95)) e.Add("method.maskRatio", "must be between 0.05 and 0.95");

        if (m.Bottleneck is < 1 or > 4096) e.Add("method.bottleneck", "must be between 1 and 4096");
        if (m.Scale is { } s && (s <= 0 || s > 100 || double.IsNaN(s))) e.Add("method.scale", "must be greater than 0 and at most 100");
        if (m.Placement is not (null or "parallel" or "sequential")) e.Add("method.placement", "must be 'parallel' or 'sequential'");
        if (m.AdapterNorm is not (null or "none" or "in" or "out")) e.Add("method.adapterNorm", "must be 'none', 'in' or 'out'");
        if (m.Dropout is { } p && (p < 0 || p >= 1)) e.Add("method.dropout", "must be in [0, 1)");
        if (m.PromptTokens is < 1 or > 256) e.Add("method.promptTokens", "must be between 1 and 256");
        if (m.Rank is { } r && (r < 1 || (preset is not null && r > preset.Width))) e.Add("method.rank", preset is null ? "must be at least 1" : $"must be between 1 and the width {preset.Width} of {preset.Name}");
        if (m.Alpha is { } a && (a <= 0 || double.IsNaN(a))) e.Add("method.alpha", "must be greater than 0");
        if (m.Layers is { } layers)
        {
            if (layers.Count == 0) e.Add("method.layers", "give at least one block index, or leave it out for all blocks");
            if (layers.Distinct().Count() != layers.Count) e.Add("method.layers", "block indices must be distinct");
            if (preset is not null && layers.Any(l => l < 0 || l >= preset.Depth))
                e.Add("method.layers", $"block indices must be in [0, {preset.Depth - 1}] for {preset.Name}");
        }
    }

    private static void ValidateTasksAndData(ExperimentSpec spec, ErrorBag e)
    {
        var d = spec.Data;
        if (spec.Kind is Kinds.Pretrain or Kinds.Adapt || (spec.Kind == Kinds.Evaluate && !Methods.Dense.Contains(spec.Method.Name)))
        {
            if (spec.Tasks.Count != 1 || spec.Tasks[0] != Tasks.Classification)
                e.Add("tasks", $"kind '{spec.Kind}' trains exactly one task: [\"classification\"]");
            if (d.Setting is not (Settings.Supervised or Settings.DomainGeneralization))
                e.Add("data.setting", $"setting '{d.Setting}' does not apply to classification; use 'supervised'");
        }
        if (!Settings.All.Contains(d.Setting)) e.Add("data.setting", $"unknown setting '{d.Setting}'; expected one of {string.Join(", ", Settings.All)}");

        if (!Datasets.All.Contains(d.Dataset))
            e.Add("data.dataset", $"unknown dataset '{d.Dataset}'; expected one of {string.Join(", ", Datasets.All)}");
        else if (d.Dataset == Datasets.ShapesWorld)
        {
            if (d.Path is not null) e.Add("data.path", "only used by folder datasets");
            if (d.PerClass is not null) e.Add("data.perClass", "only used by folder datasets (a ShapesWorld task sets data.trainSize)");
            if (spec.Tasks.Contains(Tasks.Classification) && spec.Method.Name == Methods.Mae)
            {
                if (d.LabelFamily is not null) e.Add("data.labelFamily", "masked autoencoding uses no labels; leave it out");
                if (d.LabelFamilies is not null) e.Add("data.labelFamilies", "masked autoencoding uses no labels; leave it out");
            }
            else if (d.LabelFamilies is { } heads)
            {
                if (spec.Kind != Kinds.Pretrain || spec.Method.Name != Methods.Supervised)
                    e.Add("data.labelFamilies", "several label heads are for supervised pretraining; give one data.labelFamily");
                if (d.LabelFamily is not null) e.Add("data.labelFamilies", "give either data.labelFamily or data.labelFamilies, not both");
                if (heads.Count < 2 || heads.Distinct().Count() != heads.Count) e.Add("data.labelFamilies", "give at least two distinct families (one family: data.labelFamily)");
                for (int i = 0; i < heads.Count; i++)
                    if (ShapesWorldCatalogue.FindLabelFamily(heads[i]) is null)
                        e.Add($"data.labelFamilies[{i}]", $"unknown label family '{heads[i]}'; expected one of {string.Join(", ", ShapesWorldCatalogue.LabelFamilies.Select(f => f.Name))}");
            }
            else if (spec.Tasks.Contains(Tasks.Classification))
            {
                if (d.LabelFamily is null) e.Add("data.labelFamily", $"required for classification; one of {string.Join(", ", ShapesWorldCatalogue.LabelFamilies.Select(f => f.Name))}");
                else if (ShapesWorldCatalogue.FindLabelFamily(d.LabelFamily) is null)
                    e.Add("data.labelFamily", $"unknown label family '{d.LabelFamily}'; expected one of {string.Join(", ", ShapesWorldCatalogue.LabelFamilies.Select(f => f.Name))}");
            }
            if (!ShapesWorldCatalogue.Domains.Contains(d.SourceDomain))
                e.Add("data.sourceDomain", $"unknown domain '{d.SourceDomain}'; expected one of {string.Join(", ", ShapesWorldCatalogue.Domains)}");
            for (int i = 0; i < d.TargetDomains.Count; i++)
                if (!ShapesWorldCatalogue.Domains.Contains(d.TargetDomains[i]))
                    e.Add($"data.targetDomains[{i}]", $"unknown domain '{d.TargetDomains[i]}'; expected one of {string.Join(", ", ShapesWorldCatalogue.Domains)}");
        }
        else
        {
            if (d.LabelFamilies is not null) e.Add("data.labelFamilies", "label families are ShapesWorld's; a folder's classes are its sub-folders");
            if (string.IsNullOrWhiteSpace(d.Path)) e.Add("data.path", "required for a folder dataset (relative to the data root)");
            else if (System.IO.Path.IsPathRooted(d.Path) || d.Path.Split('/', '\\').Any(seg => seg == ".."))
                e.Add("data.path", "must be a relative path inside the data root, without '..'");
        }
        if (d.TargetDomains.Distinct().Count() != d.TargetDomains.Count) e.Add("data.targetDomains", "domains must be distinct");
        if (d.TrainSize is < 1 or > 1_000_000) e.Add("data.trainSize", "must be between 1 and 1,000,000");
        if (d.ValidationSize is < 1 or > 1_000_000) e.Add("data.validationSize", "must be between 1 and 1,000,000");
        if (d.TestSize is < 1 or > 1_000_000) e.Add("data.testSize", "must be between 1 and 1,000,000");
        ValidateStream(spec, e);
        if (d.PerClass is < 1 or > 1_000_000) e.Add("data.perClass", "must be between 1 and 1,000,000");
        else if (d.PerClass is not null && spec.Method.Name == Methods.Mae) e.Add("data.perClass", "masked autoencoding uses no labels: set data.trainSize instead");
    }

    /// <summary>The ShapesWorld pretraining stream: pretrain only, budget in steps, no fixed train size, downstream families and held-out domains respected.</summary>
    private static void ValidateStream(ExperimentSpec spec, ErrorBag e)
    {
        var d = spec.Data;
        if (d.Stream != true)
        {
            if (d.HeldOutDomains is not null) e.Add("data.heldOutDomains", "only used with data.stream");
            return;
        }
        if (spec.Kind != Kinds.Pretrain || d.Dataset != Datasets.ShapesWorld)
        {
            e.Add("data.stream", "the stream of fresh scenes is for pretraining on ShapesWorld (kind 'pretrain', dataset 'shapesworld')");
            return;
        }
        if (d.TrainSize is not null) e.Add("data.trainSize", "the stream draws fresh scenes every step: there is no training set to size; set training.steps");
        if (spec.Training.Epochs is not null) e.Add("training.epochs", "the stream has no epochs: set training.steps");
        if (d.LabelFamily is { } family && ShapesWorldCatalogue.DownstreamLabelFamilies.Contains(family))
            e.Add("data.labelFamily", $"'{family}' is held out for downstream tasks ({string.Join(", ", ShapesWorldCatalogue.DownstreamLabelFamilies)}); pretrain on another family");
        foreach (var head in (d.LabelFamilies ?? []).Where(ShapesWorldCatalogue.DownstreamLabelFamilies.Contains))
            e.Add("data.labelFamilies", $"'{head}' is held out for downstream tasks ({string.Join(", ", ShapesWorldCatalogue.DownstreamLabelFamilies)}); pretrain on other families");
        var heldOut = d.HeldOutDomains ?? [ShapesWorldCatalogue.DefaultHeldOutDomain];
        for (int i = 0; i < heldOut.Count; i++)
            if (!ShapesWorldCatalogue.Domains.Contains(heldOut[i]))
                e.Add($"data.heldOutDomains[{i}]", $"unknown domain '{heldOut[i]}'; expected one of {string.Join(", ", ShapesWorldCatalogue.Domains)}");
        if (heldOut.Contains(d.SourceDomain))
            e.Add("data.heldOutDomains", $"holds out the source domain '{d.SourceDomain}', which validation reads; hold out another");
        if (ShapesWorldCatalogue.Domains.All(heldOut.Contains))
            e.Add("data.heldOutDomains", "holds out every domain: the stream would have nothing to sample around");
    }

    private static void ValidateTraining(TrainingSpec t, ErrorBag e, bool evaluate = false)
    {
        // An evaluation trains nothing: its steps are optional (and ignored).
        if (t.Steps is not null && t.Epochs is not null) e.Add("training.steps", "give exactly one of training.steps and training.epochs");
        else if (t.Steps is null && t.Epochs is null && !evaluate) e.Add("training.steps", "give exactly one of training.steps and training.epochs");
        if (t.Steps is < 1 or > 10_000_000) e.Add("training.steps", "must be between 1 and 10,000,000");
        if (t.Epochs is < 1 or > 10_000) e.Add("training.epochs", "must be between 1 and 10,000");
        if (t.BatchSize is < 1 or > 4096) e.Add("training.batchSize", "must be between 1 and 4096");
        if (t.Optimizer is not (null or "sgd" or "adamw")) e.Add("training.optimizer", "must be 'sgd' or 'adamw'");
        if (t.LearningRate is { } lr && (lr <= 0 || lr > 10 || double.IsNaN(lr))) e.Add("training.learningRate", "must be greater than 0 and at most 10");
        if (t.WeightDecay is { } wd && (wd < 0 || wd > 1 || double.IsNaN(wd))) e.Add("training.weightDecay", "must be in [0, 1]");
        if (t.Momentum is { } mo && (mo < 0 || mo >= 1 || double.IsNaN(mo))) e.Add("training.momentum", "must be in [0, 1)");
        if (t.Schedule is not ("cosine" or "constant")) e.Add("training.schedule", "must be 'cosine' or 'constant'");
        if (t.WarmupSteps < 0) e.Add("training.warmupSteps", "must not be negative");
        else if (t.Steps is { } steps && t.WarmupSteps is { } warmup && warmup >= steps && warmup > 0) e.Add("training.warmupSteps", "must be fewer than training.steps");
        if (t.EvalInterval < 0) e.Add("training.evalInterval", "must not be negative");
        if (t.CheckpointInterval < 0) e.Add("training.checkpointInterval", "must not be negative");
        if (t.CheckpointRetention is not ("latest" or "best" or "all")) e.Add("training.checkpointRetention", "must be 'latest', 'best' or 'all'");
        if (t.Attention is not null && !AttentionKernels.All.Contains(t.Attention)) e.Add("training.attention", "must be 'fused' or 'composed'");
        if (t.Precision is not null && !Precisions.All.Contains(t.Precision)) e.Add("training.precision", "must be 'fp32' or 'bf16'");
        if (t.ParameterGroups is { } groups)
        {
            if (groups.Count > ParameterGroups.All.Count) e.Add("training.parameterGroups", $"at most {ParameterGroups.All.Count} groups");
            foreach (var (name, g) in groups)
            {
                if (!ParameterGroups.All.Contains(name)) { e.Add("training.parameterGroups", $"unknown group '{name}' ({string.Join(", ", ParameterGroups.All)})"); continue; }
                if (g is null) { e.Add($"training.parameterGroups.{name}", "must be an object"); continue; }
                if (g.LearningRate is { } glr && !(glr > 0 && glr <= 10)) e.Add($"training.parameterGroups.{name}.learningRate", "must be greater than 0 and at most 10");
                if (g.WeightDecay is { } gwd && !(gwd >= 0 && gwd <= 1)) e.Add($"training.parameterGroups.{name}.weightDecay", "must be in [0, 1]");
            }
        }
    }

    private sealed class ErrorBag
    {
        private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

        /// <summary>A required part of the spec is missing (null): the field checks cannot run.</summary>
        public bool Structural { get; set; }
        public void Add(string field, string message)
        {
            if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
            if (!list.Contains(message)) list.Add(message);
        }
        public IReadOnlyDictionary<string, string[]> ToDictionary() => _errors.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
    }
}
