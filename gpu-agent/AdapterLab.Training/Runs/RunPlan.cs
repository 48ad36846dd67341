using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Optimisation;

namespace AdapterLab.Training.Runs;

/// <summary>
/// What every kind of run shares, resolved from the spec once: the backbone preset and input size, domains, split
/// sizes, batch and step budget, optimisation, seed, cadences and model options. A kind's plan
/// (<c>ClassificationPlan</c>, <c>MultitaskPlan</c>) holds one of these and adds only its own parts; the shared
/// <see cref="TrainingLoop"/> reads nothing else.
/// </summary>
public sealed record RunPlan
{
    public required ExperimentSpec Spec { get; init; }
    public required BackbonePreset Preset { get; init; }
    public required int ImageSize { get; init; }
    public required string SourceDomain { get; init; }
    public required IReadOnlyList<string> TargetDomains { get; init; }
    public required int TrainSize { get; init; }
    public required int ValidationSize { get; init; }
    public required int TestSize { get; init; }
    public required int BatchSize { get; init; }
    /// <summary>Optimiser steps (0 for <c>evaluate</c>).</summary>
    public required long TotalSteps { get; init; }
    public required OptimisationPlan Optimisation { get; init; }
    public required int Seed { get; init; }
    public required int EvalInterval { get; init; }
    public required int CheckpointInterval { get; init; }
    /// <summary>The ViT's attention kernel (<c>training.attention</c>): a model option, never process-wide.</summary>
    public required bool FusedAttention { get; init; }
    /// <summary><c>training.precision</c> as asked (null: fp32); the run computes in <see cref="Model.Autocast.Effective"/> of it on its device.</summary>
    public string? Precision { get; init; }

    public IEnumerable<string> EvaluationDomains => new[] { SourceDomain }.Concat(TargetDomains).Distinct();

    public int Size(Datasets.ShapesWorld.DataSplit split) => split switch
    {
        Datasets.ShapesWorld.DataSplit.Train => TrainSize,
        Datasets.ShapesWorld.DataSplit.Validation => ValidationSize,
        _ => TestSize,
    };

    /// <summary>
    /// This plan over a folder dataset: split sizes capped by the folder's (the training split by its few-label view),
    /// one evaluation "domain" named after the path, the step budget recomputed from the capped training size.
    /// </summary>
    public RunPlan OverFolder(Datasets.Folders.FolderDataset folder, int? perClass = null)
    {
        int train = Math.Min(Spec.Data.TrainSize ?? int.MaxValue, folder.Count(Datasets.ShapesWorld.DataSplit.Train, perClass));
        return this with
        {
            SourceDomain = folder.RelativePath,
            TargetDomains = [],
            TrainSize = train,
            ValidationSize = Math.Min(Spec.Data.ValidationSize ?? int.MaxValue, folder.Count(Datasets.ShapesWorld.DataSplit.Validation)),
            TestSize = Math.Min(Spec.Data.TestSize ?? int.MaxValue, folder.Count(Datasets.ShapesWorld.DataSplit.Test)),
            TotalSteps = Spec.Kind == Kinds.Evaluate ? 0 : Math.Max(1, StepsFor(Spec.Training, train, BatchSize)),
        };
    }

    /// <summary>Steps = <c>training.steps</c>, else epochs (default 1) × ⌈train / batch⌉.</summary>
    public static long StepsFor(TrainingSpec t, int trainSize, int batch) => t.Steps ?? (long)(t.Epochs ?? 1) * ((trainSize + batch - 1) / batch);

    /// <param name="defaults">The kind's default split sizes.</param>
    /// <param name="optimisation">The kind's optimisation with its per-method defaults resolved.</param>
    public static RunPlan From(ExperimentSpec spec, (int Train, int Validation, int Test) defaults, Func<int, OptimisationPlan> optimisation)
    {
        var preset = ModelCatalogue.Get(spec.Backbone.Preset);
        int train = spec.Data.TrainSize ?? defaults.Train;
        int batch = spec.Training.BatchSize;
        if (batch <= 0) throw new ArgumentException("training.batchSize must be positive");
        return new RunPlan
        {
            Spec = spec,
            Preset = preset,
            ImageSize = spec.Backbone.ImageSize ?? preset.ImageSize,
            SourceDomain = spec.Data.SourceDomain,
            TargetDomains = spec.Data.TargetDomains,
            TrainSize = train,
            ValidationSize = spec.Data.ValidationSize ?? defaults.Validation,
            TestSize = spec.Data.TestSize ?? defaults.Test,
            BatchSize = batch,
            TotalSteps = spec.Kind == Kinds.Evaluate ? 0 : Math.Max(1, StepsFor(spec.Training, train, batch)),
            Optimisation = optimisation(batch),
            Seed = spec.Training.Seed,
            EvalInterval = spec.Training.EvalInterval,
            CheckpointInterval = spec.Training.CheckpointInterval,
            FusedAttention = spec.Training.Attention != AttentionKernels.Composed,
            Precision = spec.Training.Precision,
        };
    }
}
