using AdapterLab.Contracts.Specs;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Multitask;

/// <summary>Task losses: cross-entropy (segmentation), rotate loss (depth in log space, normals), L1 (edges).</summary>
public static class DenseLosses
{
    /// <summary>
    /// Rotate loss (Taskonomy task-grouping code): crop a one-pixel border from target and mask, take the masked
    /// per-sample L1 between the target and each of the 9 one-pixel shifts of the prediction, the per-sample minimum
    /// over shifts, then the batch mean. prediction/target [B, C, H, W], mask [B, 1, H, W] (null: all valid).
    /// </summary>
    public static Tensor Rotate(Tensor prediction, Tensor target, Tensor? mask = null)
    {
        long h = target.shape[2], w = target.shape[3], c = target.shape[1];
        var t = target[.., .., 1..(int)(h - 1), 1..(int)(w - 1)];
        var m = mask is null ? torch.ones_like(t[.., ..1]) : mask[.., .., 1..(int)(h - 1), 1..(int)(w - 1)];
        var denominator = m.sum([1, 2, 3]).mul(c).clamp_min(1e-6);
        var perShift = new List<Tensor>(9);
        for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++)
        {
            var p = prediction[.., .., (1 + dy)..(int)(h - 1 + dy), (1 + dx)..(int)(w - 1 + dx)];
            perShift.Add(((p - t).abs() * m).sum([1, 2, 3]) / denominator);
        }
        return torch.stack(perShift, 1).min(1).values.mean();
    }

    /// <summary>The loss of one task from its raw decoder output and the batch's targets.</summary>
    public static Tensor For(string task, Tensor raw, DenseBatch batch) => task switch
    {
        Tasks.Segmentation => nn.functional.cross_entropy(raw, batch.Segmentation),
        Tasks.Depth => Rotate(raw, batch.Depth.clamp_min(1e-3).log(), batch.ValidMask),
        Tasks.Normals => Rotate(DenseOutputs.Normals(raw), batch.Normals, batch.ValidMask),
        Tasks.Edges => (torch.sigmoid(raw) - batch.Edges).abs().mean(),
        _ => throw new ArgumentException($"unknown dense task '{task}'"),
    };
}

/// <summary>Turns raw decoder outputs into predictions.</summary>
public static class DenseOutputs
{
    public static int Channels(string task) => task switch
    {
        Tasks.Segmentation => Datasets.ShapesWorld.DenseTargets.Classes,
        Tasks.Normals => 3,
        _ => 1,
    };

    /// <summary>Unit normals from the 3-channel output.</summary>
    public static Tensor Normals(Tensor raw) => nn.functional.normalize(raw, p: 2, dim: 1, eps: 1e-6);

    /// <summary>Depth from the log-depth output.</summary>
    public static Tensor Depth(Tensor raw) => raw.clamp(-7, 4).exp();

    public static Tensor Edges(Tensor raw) => torch.sigmoid(raw);

    /// <summary>
    /// Normals implied by a depth map (∂depth/∂x, ∂depth/∂y, 1) normalised, in image-side units (central differences,
    /// replicated borders): the "normals from predicted depth" baseline.
    /// </summary>
    public static Tensor NormalsFromDepth(Tensor depth)
    {
        long size = depth.shape[3];
        var padded = nn.functional.pad(depth, [1, 1, 1, 1], PaddingModes.Replicate);
        var gx = (padded[.., .., 1..^1, 2..] - padded[.., .., 1..^1, ..^2]) * (size / 2.0);
        var gy = (padded[.., .., 2.., 1..^1] - padded[.., .., ..^2, 1..^1]) * (size / 2.0);
        return nn.functional.normalize(torch.cat([gx, gy, torch.ones_like(gx)], 1), p: 2, dim: 1);
    }
}

/// <summary>One batch of dense targets on the device.</summary>
public sealed record DenseBatch(Tensor Images, Tensor Segmentation, Tensor Depth, Tensor Normals, Tensor Edges)
{
    /// <summary>Pixels with a meaningful depth/normal (everything but sky) [B, 1, H, W].</summary>
    public Tensor ValidMask => Segmentation.ne(Datasets.ShapesWorld.DenseTargets.SkyClass).unsqueeze(1).to(ScalarType.Float32);
}
