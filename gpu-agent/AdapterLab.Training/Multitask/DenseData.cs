using AdapterLab.Training.Datasets.DenseFolders;
using AdapterLab.Training.Datasets.ShapesWorld;
using SpecDatasets = AdapterLab.Contracts.Specs.Datasets;

namespace AdapterLab.Training.Multitask;

/// <summary>Dense splits of a plan: ShapesWorld (world seed) or a paired-folder dataset inside the data root.</summary>
public sealed class DenseData(MultitaskPlan plan, string? dataRoot)
{
    private DenseFolderDataset? folder;

    public DenseSplit Get(string domain, DataSplit split)
    {
        if (plan.Spec.Data.Dataset == SpecDatasets.Folder)
        {
            folder ??= DenseFolderDataset.Open(dataRoot, plan.Spec.Data.Path ?? "", plan.ImageSize);
            return folder.Split(split);
        }
        return DenseShapesWorld.Split(ShapesWorldDataset.WorldSeed, domain, split, plan.Run.Size(split), plan.ImageSize);
    }

    public static DenseBatch Batch(DenseSplit split, int[] rows, TorchSharp.torch.Device device) => new(
        split.ImagesTensor(rows, device), split.SegmentationTensor(rows, device), split.DepthTensor(rows, device),
        split.NormalsTensor(rows, device), split.EdgesTensor(rows, device))
    {
        DepthValid = split.DepthValidTensor(rows, device),
        NormalsValid = split.NormalsValidTensor(rows, device),
    };
}
