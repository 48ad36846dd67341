using AdapterLab.Training.Model;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Datasets.ShapesWorld;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Multitask;

/// <summary>
/// Accumulates evaluation metrics over batches: mIoU from a confusion matrix (classes present in prediction or target),
/// depth RMSE and δ &lt; 1.25 (non-sky pixels), normals mean angular error in degrees (non-sky), edges the ODS F-measure
/// over a threshold sweep (ground truth: Sobel magnitude ≥ <see cref="DenseMetricParts.EdgeTruth"/>) and mean L1 as a
/// secondary metric.
/// </summary>
public sealed class DenseMetrics
{
    private readonly long[,] confusion = new long[DenseTargets.Classes, DenseTargets.Classes];
    private double depthSquared, depthDelta, depthCount, angleSum, angleCount, edgeSum, edgeCount;
    private readonly double[] edgeCounts = new double[3 * DenseMetricParts.EdgeThresholds.Count];

    public static IReadOnlyList<string> MetricsOf(string task) => Tasks.KindOf(task) switch
    {
        Tasks.Segmentation => ["miou"],
        Tasks.Depth => ["rmse", "delta1"],
        Tasks.Normals => ["angular-error"],
        _ => ["odsf", "l1"],
    };

    /// <summary>Per image [TP at each threshold, FP at each, FN at each] of predicted edge probabilities against the binarised truth.</summary>
    private static double[][] EdgeCounts(Tensor predicted, Tensor target)
    {
        using var scope = torch.NewDisposeScope();
        long n = predicted.shape[0];
        int t = DenseMetricParts.EdgeThresholds.Count;
        using var truthThreshold = DenseMetricParts.EdgeTruth.ToScalar();
        var truth = target.ge(truthThreshold).flatten(1);
        var p = predicted.flatten(1);
        var tp = new List<Tensor>(t); var fp = new List<Tensor>(t); var fn = new List<Tensor>(t);
        foreach (var value in DenseMetricParts.EdgeThresholds)
        {
            using var threshold = value.ToScalar();
            var positive = p.ge(threshold);
            tp.Add(positive.logical_and(truth).sum(1));
            fp.Add(positive.logical_and(truth.logical_not()).sum(1));
            fn.Add(positive.logical_not().logical_and(truth).sum(1));
        }
        var all = torch.stack([.. tp, .. fp, .. fn], 1).to(ScalarType.Float64).cpu().data<double>().ToArray();
        return Enumerable.Range(0, (int)n).Select(i => all.AsSpan(i * 3 * t, 3 * t).ToArray()).ToArray();
    }

    public void AddSegmentation(Tensor predicted, Tensor target)
    {
        using var scope = torch.NewDisposeScope();
        var index = (target.flatten() * DenseTargets.Classes + predicted.flatten()).cpu();
        var counts = torch.bincount(index, minlength: DenseTargets.Classes * DenseTargets.Classes).data<long>().ToArray();
        for (int i = 0; i < counts.Length; i++) confusion[i / DenseTargets.Classes, i % DenseTargets.Classes] += counts[i];
    }

    public void AddDepth(Tensor predicted, Tensor target, Tensor mask)
    {
        using var scope = torch.NewDisposeScope();
        var p = predicted.clamp_min(1e-3);
        depthSquared += (p - target).square().mul(mask).sum().item<float>();
        var ratio = torch.maximum(p / target, target / p);
        depthDelta += (ratio.lt(1.25).to(ScalarType.Float32) * mask).sum().item<float>();
        depthCount += mask.sum().item<float>();
    }

    public void AddNormals(Tensor predicted, Tensor target, Tensor mask)
    {
        using var scope = torch.NewDisposeScope();
        var cos = (predicted * target).sum(1, keepdim: true).clamp(-1, 1);
        angleSum += (cos.acos() * (180.0 / Math.PI) * mask).sum().item<float>();
        angleCount += mask.sum().item<float>();
    }

    public void AddEdges(Tensor predicted, Tensor target)
    {
        using var scope = torch.NewDisposeScope();
        edgeSum += (predicted - target).abs().sum().item<float>();
        edgeCount += target.numel();
        foreach (var image in EdgeCounts(predicted, target))
            for (int i = 0; i < image.Length; i++) edgeCounts[i] += image[i];
    }

    public double MeanIoU
    {
        get
        {
            double sum = 0; int n = 0;
            for (int c = 0; c < DenseTargets.Classes; c++)
            {
                long tp = confusion[c, c], fp = 0, fn = 0;
                for (int o = 0; o < DenseTargets.Classes; o++)
                {
                    if (o == c) continue;
                    fp += confusion[o, c];
                    fn += confusion[c, o];
                }
                if (tp + fp + fn == 0) continue;
                sum += (double)tp / (tp + fp + fn);
                n++;
            }
            return n == 0 ? 0 : sum / n;
        }
    }

    /// <summary>
    /// Each image's additive parts of every metric of <paramref name="task"/> (layout: <see cref="DenseMetricParts"/>): the
    /// dataset-level value of any set of images is the metric of their summed parts — what the accumulators above compute
    /// over the whole set. <paramref name="predicted"/> is the prediction (class indices for segmentation, else the decoded
    /// map), as the accumulators take it.
    /// </summary>
    public static Dictionary<string, double[][]> PerImageParts(string task, Tensor predicted, DenseBatch batch)
    {
        using var scope = torch.NewDisposeScope();
        long n = batch.Images.shape[0];
        var mask = batch.ValidMask;
        double[] Read(Tensor t) => t.to(ScalarType.Float64).cpu().data<double>().ToArray();
        double[][] SumAndCount(Tensor values, Tensor weight)
        {
            var sums = Read((values.to(ScalarType.Float64) * weight).flatten(1).sum(1));
            var counts = Read(weight.flatten(1).sum(1));
            return sums.Select((v, i) => new[] { v, counts[i] }).ToArray();
        }
        switch (Tasks.KindOf(task))
        {
            case Tasks.Segmentation:
            {
                int c = DenseTargets.Classes;
                var offsets = torch.arange(n, device: predicted.device).view(n, 1) * (c * c);
                var index = (offsets + batch.Segmentation.flatten(1) * c + predicted.flatten(1)).flatten().cpu();
                var counts = torch.bincount(index, minlength: (int)n * c * c).data<long>().ToArray();
                var parts = new double[n][];
                for (int image = 0; image < n; image++)
                {
                    var row = parts[image] = new double[2 * c];
                    for (int k = 0; k < c; k++)
                    {
                        long tp = counts[image * c * c + k * c + k], fp = 0, fn = 0;
                        for (int o = 0; o < c; o++)
                        {
                            if (o == k) continue;
                            fp += counts[image * c * c + o * c + k];
                            fn += counts[image * c * c + k * c + o];
                        }
                        row[k] = tp;
                        row[c + k] = tp + fp + fn;
                    }
                }
                return new() { ["miou"] = parts };
            }
            case Tasks.Depth:
            {
                var p = predicted.clamp_min(1e-3);
                var ratio = torch.maximum(p / batch.Depth, batch.Depth / p);
                return new()
                {
                    ["rmse"] = SumAndCount((p - batch.Depth).pow(2), mask),
                    ["delta1"] = SumAndCount(ratio.lt(1.25), mask),
                };
            }
            case Tasks.Normals:
            {
                var cos = (predicted * batch.Normals).sum(1, keepdim: true).clamp(-1, 1);
                return new() { ["angular-error"] = SumAndCount(cos.acos() * (180.0 / Math.PI), mask) };
            }
            default:
                return new()
                {
                    ["odsf"] = EdgeCounts(predicted, batch.Edges),
                    ["l1"] = SumAndCount((predicted - batch.Edges).abs(), torch.ones_like(batch.Edges)),
                };
        }
    }

    /// <summary>
    /// Each image's own value of a metric from its parts (mIoU over the classes present in its prediction or target, RMSE
    /// over its valid pixels, …; NaN when it has no valid pixel).
    /// </summary>
    public static double[] PerImage(string metric, IReadOnlyList<double[]> parts)
    {
        var formula = DenseMetricParts.Formula(metric)!;
        return parts.Select(formula).ToArray();
    }

    public double Value(string metric) => metric switch
    {
        "miou" => MeanIoU,
        "rmse" => depthCount == 0 ? double.NaN : Math.Sqrt(depthSquared / depthCount),
        "delta1" => depthCount == 0 ? double.NaN : depthDelta / depthCount,
        "angular-error" => angleCount == 0 ? double.NaN : angleSum / angleCount,
        "l1" => edgeCount == 0 ? double.NaN : edgeSum / edgeCount,
        "odsf" => DenseMetricParts.Formula("odsf")!(edgeCounts),
        _ => throw new ArgumentException($"unknown dense metric '{metric}'"),
    };
}
