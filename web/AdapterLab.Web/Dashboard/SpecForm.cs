using System.Globalization;
using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Web.Dashboard;

/// <summary>
/// The submit form's editable state: every spec field as a plain settable property. <see cref="ToSpec"/> leaves out what
/// does not apply to the chosen kind and method (hidden options never reach the validator), <see cref="FromSpec"/> fills
/// the form from a spec (clone, paste, upload).
/// </summary>
public sealed class SpecForm
{
    public string? Name { get; set; }
    public string Kind { get; set; } = Kinds.Adapt;
    public string Preset { get; set; } = ModelCatalogue.Presets[0].Name;
    public string Source { get; set; } = BackboneSources.Random;
    public string? BackboneName { get; set; }
    public string? BackboneExperimentId { get; set; }
    public string? RegisterAs { get; set; }
    public int? ImageSize { get; set; }

    public string Method { get; set; } = Methods.LinearProbe;
    public int? Bottleneck { get; set; }
    public double? Scale { get; set; }
    public bool LearnableScale { get; set; }
    public string? Placement { get; set; }
    public string? AdapterNorm { get; set; }
    public double? Dropout { get; set; }
    /// <summary>Comma-separated block indices (empty: all blocks).</summary>
    public string? Layers { get; set; }
    public int? PromptTokens { get; set; }
    public int? Rank { get; set; }
    public double? Alpha { get; set; }
    public int? AdapterBlocks { get; set; }
    public string? Estimator { get; set; }
    public IReadOnlyCollection<string> MeasuredEstimators { get; set; } = [];
    public double? MaskRatio { get; set; }

    /// <summary>
    /// Multitask options the form has no controls for, carried through so a loaded or cloned spec keeps them (edit them in
    /// the JSON tab): TROA's step and update cadence, the domain-adaptation mode, zero-shot tasks and the negative control.
    /// </summary>
    public double? AffinityStep { get; set; }
    public int? AffinityInterval { get; set; }
    public string? Adaptation { get; set; }
    public IReadOnlyList<string>? ZeroShotTasks { get; set; }
    public bool? ShuffleTargets { get; set; }

    public IReadOnlyCollection<string> DenseTasks { get; set; } = [];
    public string Dataset { get; set; } = Datasets.ShapesWorld;
    public string? LabelFamily { get; set; } = ShapesWorldCatalogue.LabelFamilies[0].Name;
    public string SourceDomain { get; set; } = ShapesWorldCatalogue.Domains[0];
    public IReadOnlyCollection<string> TargetDomains { get; set; } = [];
    public string Setting { get; set; } = Settings.Supervised;
    public int? TrainSize { get; set; }
    public int? ValidationSize { get; set; }
    public int? TestSize { get; set; }
    public string? Path { get; set; }
    /// <summary>Several label heads (<c>data.labelFamilies</c>), kept from a cloned spec (the JSON tab edits them).</summary>
    public IReadOnlyList<string>? LabelFamilies { get; set; }

    /// <summary>ShapesWorld pretraining: fresh scenes every step (<c>data.stream</c>).</summary>
    public bool Stream { get; set; }
    public IReadOnlyList<string>? HeldOutDomains { get; set; }

    /// <summary>Folder datasets: a few-label view, at most this many training images per class.</summary>
    public int? PerClass { get; set; }

    /// <summary>A supervised pretrain on ShapesWorld with several label heads.</summary>
    public bool SeveralHeads => LabelFamilies is { Count: > 0 } && Kind == Kinds.Pretrain && Method == Methods.Supervised && Dataset == Datasets.ShapesWorld;

    private bool StreamApplies => Kind == Kinds.Pretrain && Dataset == Datasets.ShapesWorld;

    /// <summary>Masked autoencoding reads no labels: no label family, no per-class view.</summary>
    public bool UsesLabels => Method != Methods.Mae;

    /// <summary><c>steps</c> or <c>epochs</c>: which budget <see cref="Budget"/> is.</summary>
    public string BudgetUnit { get; set; } = "steps";
    public int? Budget { get; set; } = 100;
    public int BatchSize { get; set; } = 32;
    public string? Optimizer { get; set; }
    public double? LearningRate { get; set; }
    public double? WeightDecay { get; set; }
    public double? Momentum { get; set; }
    public string Schedule { get; set; } = "cosine";
    public int? WarmupSteps { get; set; }
    public int Seed { get; set; } = 1;
    public int EvalInterval { get; set; }
    public int CheckpointInterval { get; set; }
    public string CheckpointRetention { get; set; } = "latest";

    public int MaxAttempts { get; set; } = 3;
    public int OnTrainingFailure { get; set; }
    public string Pool { get; set; } = "cpu";
    public string Device { get; set; } = "auto";
    public int Priority { get; set; }
    /// <summary>Comma-separated tags.</summary>
    public string? Tags { get; set; }
    public string? Suite { get; set; }

    public bool IsClassification => Kind is Kinds.Pretrain or Kinds.Adapt or Kinds.Evaluate;

    /// <summary>Method options the validator accepts for the chosen kind and method.</summary>
    public IReadOnlySet<string> Options => SpecVocabulary.OptionsFor(Kind, Method);

    public bool Shows(string option) => Options.Contains(option);

    /// <summary>Picks a method the kind accepts after the kind changed.</summary>
    public void NormalizeMethod()
    {
        var methods = SpecVocabulary.MethodsFor(Kind);
        if (!methods.Contains(Method) && methods.Count > 0) Method = methods[0];
        NormalizeSetting();
    }

    /// <summary>
    /// A setting the kind accepts: switching to <c>multitask</c> from the classification default picks <c>multitask</c>;
    /// switching back to a classification kind from a dense-only setting picks <c>supervised</c> (the form would
    /// otherwise reject its own choice).
    /// </summary>
    public void NormalizeSetting()
    {
        bool classification = Kind is Kinds.Pretrain or Kinds.Adapt || (Kind == Kinds.Evaluate && !Methods.Dense.Contains(Method));
        if (classification && Setting is not (Settings.Supervised or Settings.DomainGeneralization)) Setting = Settings.Supervised;
        else if (!classification && Setting == Settings.Supervised) Setting = Settings.Multitask;
    }

    public ExperimentSpec ToSpec()
    {
        bool classification = IsClassification;
        var tasks = classification ? new List<string> { Contracts.Specs.Tasks.Classification } : DenseTasks.ToList();
        return new ExperimentSpec
        {
            Name = Blank(Name),
            Kind = Kind,
            Backbone = new BackboneSpec
            {
                Preset = Preset,
                Source = Source,
                Name = Source == BackboneSources.Named ? Blank(BackboneName) : null,
                ExperimentId = Source == BackboneSources.Experiment && Guid.TryParse(BackboneExperimentId, out var g) ? g : null,
                RegisterAs = Kind == Kinds.Pretrain ? Blank(RegisterAs) : null,
                ImageSize = ImageSize,
            },
            Method = new MethodSpec
            {
                Name = Method,
                Bottleneck = Shows("bottleneck") ? Bottleneck : null,
                Scale = Shows("scale") ? Scale : null,
                LearnableScale = Shows("learnableScale") && LearnableScale ? true : null,
                Placement = Shows("placement") ? Blank(Placement) : null,
                AdapterNorm = Shows("adapterNorm") ? Blank(AdapterNorm) : null,
                Dropout = Shows("dropout") ? Dropout : null,
                Layers = Shows("layers") ? ParseLayers(Layers) : null,
                PromptTokens = Shows("promptTokens") ? PromptTokens : null,
                Rank = Shows("rank") ? Rank : null,
                Alpha = Shows("alpha") ? Alpha : null,
                AdapterBlocks = Shows("adapterBlocks") ? AdapterBlocks : null,
                Estimator = Shows("estimator") ? Blank(Estimator) : null,
                MeasuredEstimators = Shows("measuredEstimators") && MeasuredEstimators.Any() ? MeasuredEstimators.ToList() : null,
                MaskRatio = Shows("maskRatio") ? MaskRatio : null,
                AffinityStep = Methods.Dense.Contains(Method) ? AffinityStep : null,
                AffinityInterval = Methods.Dense.Contains(Method) ? AffinityInterval : null,
            },
            Tasks = tasks,
            Data = new DataSpec
            {
                Dataset = Dataset,
                LabelFamily = Dataset == Datasets.ShapesWorld && tasks.Contains(Contracts.Specs.Tasks.Classification) && UsesLabels && !SeveralHeads ? Blank(LabelFamily) : null,
                LabelFamilies = SeveralHeads ? LabelFamilies : null,
                SourceDomain = SourceDomain,
                TargetDomains = TargetDomains.ToList(),
                Setting = Setting,
                TrainSize = StreamApplies && Stream ? null : TrainSize, ValidationSize = ValidationSize, TestSize = TestSize,
                Path = Dataset == Datasets.Folder ? Blank(Path) : null,
                PerClass = Dataset == Datasets.Folder && UsesLabels ? PerClass : null,
                Stream = StreamApplies && Stream ? true : null,
                HeldOutDomains = StreamApplies && Stream ? HeldOutDomains : null,
                Adaptation = Methods.Dense.Contains(Method) ? Adaptation : null,
                ZeroShotTasks = Methods.Dense.Contains(Method) ? ZeroShotTasks : null,
                ShuffleTargets = Methods.Dense.Contains(Method) ? ShuffleTargets : null,
            },
            Training = new TrainingSpec
            {
                Steps = BudgetUnit == "steps" ? Budget : null,
                Epochs = BudgetUnit == "epochs" ? Budget : null,
                BatchSize = BatchSize,
                Optimizer = Blank(Optimizer),
                LearningRate = LearningRate,
                WeightDecay = WeightDecay,
                Momentum = Optimizer == "sgd" ? Momentum : null,
                Schedule = Schedule,
                WarmupSteps = WarmupSteps,
                Seed = Seed,
                EvalInterval = EvalInterval,
                CheckpointInterval = CheckpointInterval,
                CheckpointRetention = CheckpointRetention,
            },
            Retry = new RetrySpec { MaxAttempts = MaxAttempts, OnTrainingFailure = OnTrainingFailure },
            Resources = new ResourcesSpec { Pool = Pool, Device = Device },
            Priority = Priority,
            Tags = (Tags ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
            Suite = Blank(Suite),
        };
    }

    public static SpecForm FromSpec(ExperimentSpec s) => new()
    {
        Name = s.Name,
        Kind = s.Kind,
        Preset = s.Backbone.Preset,
        Source = s.Backbone.Source,
        BackboneName = s.Backbone.Name,
        BackboneExperimentId = s.Backbone.ExperimentId?.ToString(),
        RegisterAs = s.Backbone.RegisterAs,
        ImageSize = s.Backbone.ImageSize,
        Method = s.Method.Name,
        Bottleneck = s.Method.Bottleneck,
        Scale = s.Method.Scale,
        LearnableScale = s.Method.LearnableScale == true,
        Placement = s.Method.Placement,
        AdapterNorm = s.Method.AdapterNorm,
        Dropout = s.Method.Dropout,
        Layers = s.Method.Layers is { } l ? string.Join(", ", l) : null,
        PromptTokens = s.Method.PromptTokens,
        Rank = s.Method.Rank,
        Alpha = s.Method.Alpha,
        AdapterBlocks = s.Method.AdapterBlocks,
        Estimator = s.Method.Estimator,
        MeasuredEstimators = s.Method.MeasuredEstimators?.ToList() ?? [],
        MaskRatio = s.Method.MaskRatio,
        AffinityStep = s.Method.AffinityStep,
        AffinityInterval = s.Method.AffinityInterval,
        Adaptation = s.Data.Adaptation,
        ZeroShotTasks = s.Data.ZeroShotTasks,
        ShuffleTargets = s.Data.ShuffleTargets,
        DenseTasks = s.Tasks.Where(t => t != Contracts.Specs.Tasks.Classification).ToList(),
        Dataset = s.Data.Dataset,
        LabelFamily = s.Data.LabelFamily,
        SourceDomain = s.Data.SourceDomain,
        TargetDomains = s.Data.TargetDomains.ToList(),
        Setting = s.Data.Setting,
        TrainSize = s.Data.TrainSize, ValidationSize = s.Data.ValidationSize, TestSize = s.Data.TestSize,
        Path = s.Data.Path,
        PerClass = s.Data.PerClass,
        Stream = s.Data.Stream == true,
        LabelFamilies = s.Data.LabelFamilies,
        HeldOutDomains = s.Data.HeldOutDomains,
        BudgetUnit = s.Training.Epochs is not null && s.Training.Steps is null ? "epochs" : "steps",
        Budget = s.Training.Steps ?? s.Training.Epochs,
        BatchSize = s.Training.BatchSize,
        Optimizer = s.Training.Optimizer,
        LearningRate = s.Training.LearningRate,
        WeightDecay = s.Training.WeightDecay,
        Momentum = s.Training.Momentum,
        Schedule = s.Training.Schedule,
        WarmupSteps = s.Training.WarmupSteps,
        Seed = s.Training.Seed,
        EvalInterval = s.Training.EvalInterval,
        CheckpointInterval = s.Training.CheckpointInterval,
        CheckpointRetention = s.Training.CheckpointRetention,
        MaxAttempts = s.Retry.MaxAttempts,
        OnTrainingFailure = s.Retry.OnTrainingFailure,
        Pool = s.Resources.Pool,
        Device = s.Resources.Device,
        Priority = s.Priority,
        Tags = string.Join(", ", s.Tags),
        Suite = s.Suite,
    };

    /// <summary>Parameter counts for the form's spec, or null where the catalogue cannot count it (unknown preset, dense kinds).</summary>
    public static ParameterCount? Count(ExperimentSpec spec)
    {
        if (spec.Kind is not (Kinds.Pretrain or Kinds.Adapt or Kinds.Evaluate) || ModelCatalogue.Find(spec.Backbone.Preset) is null) return null;
        try { return ModelCatalogue.Count(spec); }
        catch (ArgumentException) { return null; }
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    /// <summary>"0, 2, 3" → [0, 2, 3]; something unparsable becomes an out-of-range index so the validator names the field.</summary>
    private static IReadOnlyList<int>? ParseLayers(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : -1).ToList();
    }
}
