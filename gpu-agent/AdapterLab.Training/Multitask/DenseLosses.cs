using AdapterLab.Training.Model;
using AdapterLab.Contracts.Specs;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Multitask;

/// <summary>Task losses: cross-entropy (segmentation), rotate loss (depth in log space, normals), class-balanced binary cross-entropy (edges).</summary>
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
            perShift.Add((p - t).abs().mul(m).sum([1, 2, 3]) / denominator);
        }
        return torch.stack(perShift, 1).min(1).values.mean();
    }

    /// <summary>
    /// HED's class-balanced binary cross-entropy (Xie and Tu 2015): per image, edge pixels (Sobel magnitude ≥
    /// <see cref="AdapterLab.Contracts.Predictions.DenseMetricParts.EdgeTruth"/>) weighted by the share of non-edge pixels
    /// β and the others by 1 − β, so the sparse edges weigh as much as the background (L1 through a sigmoid settled on
    /// all-zero maps). The mean over pixels and images.
    /// </summary>
    public static Tensor BalancedEdges(Tensor raw, Tensor edges)
    {
        // Explicit scalars, alive until the native calls return (see AdamW: an implicit double → Scalar can be finalised
        // while libtorch still reads it).
        using var threshold = AdapterLab.Contracts.Predictions.DenseMetricParts.EdgeTruth.ToScalar();
        using var one = 1.0.ToScalar();
        using var two = 2.0.ToScalar();
        var truth = edges.ge(threshold).to(raw.dtype);
        var beta = truth.mean([1, 2, 3], keepdim: true).neg().add_(one);   // share of non-edge pixels
        // weight = truth·β + (1 − truth)·(1 − β) = (1 − β) + truth·(2β − 1)
        var weight = truth.mul(beta.mul(two).sub_(one)).add_(beta.neg().add_(one));
        return nn.functional.binary_cross_entropy_with_logits(raw, truth, weight: weight);
    }

    /// <summary>The loss of one task from its raw decoder output and the batch's targets.</summary>
    public static Tensor For(string task, Tensor raw, DenseBatch batch) => Tasks.KindOf(task) switch
    {
        Tasks.Segmentation => nn.functional.cross_entropy(raw, batch.Segmentation),
        Tasks.Depth => Rotate(raw, batch.Depth.clamp_min(1e-3).log(), batch.DepthMask),
        Tasks.Normals => Rotate(DenseOutputs.Normals(raw), batch.Normals, batch.NormalsMask),
        Tasks.Edges => BalancedEdges(raw, batch.Edges),
        _ => throw new ArgumentException($"unknown dense task '{task}'"),
    };
}

/// <summary>Turns raw decoder outputs into predictions.</summary>
public static class DenseOutputs
{
    public static int Channels(string task) => Tasks.KindOf(task) switch
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

    /// <summary>The negative control's own masks (moved with their targets); null: <see cref="ValidMask"/>.</summary>
    public Tensor? DepthValid { get; init; }
    public Tensor? NormalsValid { get; init; }

    /// <summary>Where depth counts in its loss: the control's own mask, else every non-sky pixel.</summary>
    public Tensor DepthMask => DepthValid ?? ValidMask;
    public Tensor NormalsMask => NormalsValid ?? ValidMask;
}
