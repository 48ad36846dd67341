using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Datasets.Folders;
using AdapterLab.Training.Datasets.ShapesWorld;
using AdapterLab.Training.Model;
using AdapterLab.Training.Optimisation;
using AdapterLab.Training.Runs;
using SpecDatasets = AdapterLab.Contracts.Specs.Datasets;

namespace AdapterLab.Training.Pretraining;

/// <summary>
/// A <c>pretrain</c> spec with <c>method: mae</c> resolved: the shared <see cref="RunPlan"/>, the encoder's shape and
/// the mask ratio. Images come from ShapesWorld (any domain; labels unused) or from a folder read unlabelled (class
/// sub-folders ignored, a plain folder of images is enough).
/// </summary>
public sealed record MaePlan
{
    public const double DefaultMaskRatio = 0.75;

    /// <summary>
    /// AdamW base learning rate (lr = base × batch / 256, so 1e-3 at batch 64). MAE's 1.5e-4 is tuned for 800 epochs at
    /// batch 4096 (2.4e-3 there); on a tiny run (vit-tiny-ci, 60 steps × 32) 5e-4 moved the loss 8 %, 1e-3 and 3e-3 more
    /// than 10 % (MaskedAutoencoderTests).
    /// </summary>
    public const double BaseLearningRate = 4e-3;

    public required RunPlan Run { get; init; }
    public required VisionTransformerOptions Encoder { get; init; }
    public required double MaskRatio { get; init; }
    public FolderDataset? Folder { get; init; }

    /// <summary>The ShapesWorld pretraining stream (<c>data.stream</c>): fresh images every step; null for a fixed training set.</summary>
    public ShapesWorldStream? Stream { get; init; }

    public int ImageSize => Encoder.ImageSize;

    public static bool Handles(ExperimentSpec spec) => spec.Kind == Kinds.Pretrain && spec.Method.Name == Methods.Mae;

    public static MaePlan From(ExperimentSpec spec, string? dataRoot)
    {
        if (!Handles(spec)) throw new ArgumentException($"MaePlan runs kind 'pretrain' with method 'mae'; got '{spec.Kind}' / '{spec.Method.Name}'");
        var folder = spec.Data.Dataset == SpecDatasets.Folder
            ? FolderDataset.Open(dataRoot, spec.Data.Path ?? throw new ArgumentException("data.path is required for a folder dataset"), labelled: false)
            : null;
        var run = RunPlan.From(spec, ShapesWorldCatalogue.DefaultSplits(Kinds.Pretrain), batch => OptimisationPlan.From(spec.Training,
            defaultOptimizer: "adamw", defaultLearningRate: BaseLearningRate * batch / 256.0, defaultWeightDecay: optimizer => optimizer == "adamw" ? 0.05 : 0.0));
        if (folder is not null) run = run.OverFolder(folder);
        return new MaePlan
        {
            Run = run,
            Encoder = new VisionTransformerOptions(run.Preset, run.ImageSize, Classes: 1, FusedAttention: run.FusedAttention),
            MaskRatio = spec.Method.MaskRatio ?? DefaultMaskRatio,
            Folder = folder,
            Stream = Classification.ClassificationPlan.StreamOf(spec, run, labelFamily: null),
        };
    }

    /// <summary>A split's images (labels unused): the folder's, or ShapesWorld's scenes of the domain.</summary>
    public ClassificationSplit Split(string domain, DataSplit split) => Folder is not null
        ? Folder.Split(split, ImageSize, Run.Size(split), domain)
        : ShapesWorldDataset.Classification(ShapesWorldDataset.WorldSeed, domain, ShapesWorldCatalogue.LabelFamilies[0].Name, split, Run.Size(split), ImageSize);
}
