using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Datasets.ShapesWorld;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Multitask;

/// <summary>
/// Accumulates evaluation metrics over batches: mIoU from a confusion matrix (classes present in prediction or target),
/// depth RMSE and δ &lt; 1.25 (non-sky pixels), normals mean angular error in degrees (non-sky), edges mean L1.
/// </summary>
public sealed class DenseMetrics
{
    private readonly long[,] confusion = new long[DenseTargets.Classes, DenseTargets.Classes];
    private double depthSquared, depthDelta, depthCount, angleSum, angleCount, edgeSum, edgeCount;

    public static IReadOnlyList<string> MetricsOf(string task) => task switch
    {
        Tasks.Segmentation => ["miou"],
        Tasks.Depth => ["rmse", "delta1"],
        Tasks.Normals => ["angular-error"],
        _ => ["l1"],
    };

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
        depthSquared += ((p - target).pow(2) * mask).sum().item<float>();
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
    /// Each image's own value of every metric of <paramref name="task"/> (the per-example outcomes of a dense evaluation):
    /// mIoU over the classes present in that image's prediction or target, depth RMSE and δ &lt; 1.25 and the mean angular
    /// error over its valid pixels (NaN when it has none), edge L1 over its pixels. <paramref name="predicted"/> is the
    /// prediction (class indices for segmentation, else the decoded map), as the accumulators take it.
    /// </summary>
    public static Dictionary<string, double[]> PerImage(string task, Tensor predicted, DenseBatch batch)
    {
        using var scope = torch.NewDisposeScope();
        long n = batch.Images.shape[0];
        var mask = batch.ValidMask;
        double[] Read(Tensor t) => t.to(ScalarType.Float64).cpu().data<double>().ToArray();
        double[] PerImageMean(Tensor values, Tensor weight)
        {
            var sums = Read((values * weight).flatten(1).sum(1));
            var counts = Read(weight.flatten(1).sum(1));
            return sums.Select((v, i) => counts[i] > 0 ? v / counts[i] : double.NaN).ToArray();
        }
        switch (task)
        {
            case Tasks.Segmentation:
            {
                int c = DenseTargets.Classes;
                var offsets = torch.arange(n, device: predicted.device).view(n, 1) * (c * c);
                var index = (offsets + batch.Segmentation.flatten(1) * c + predicted.flatten(1)).flatten().cpu();
                var counts = torch.bincount(index, minlength: (int)n * c * c).data<long>().ToArray();
                var miou = new double[n];
                for (int image = 0; image < n; image++)
                {
                    double sum = 0; int present = 0;
                    for (int k = 0; k < c; k++)
                    {
                        long tp = counts[image * c * c + k * c + k], fp = 0, fn = 0;
                        for (int o = 0; o < c; o++)
                        {
                            if (o == k) continue;
                            fp += counts[image * c * c + o * c + k];
                            fn += counts[image * c * c + k * c + o];
                        }
                        if (tp + fp + fn == 0) continue;
                        sum += (double)tp / (tp + fp + fn);
                        present++;
                    }
                    miou[image] = present == 0 ? double.NaN : sum / present;
                }
                return new() { ["miou"] = miou };
            }
            case Tasks.Depth:
            {
                var p = predicted.clamp_min(1e-3);
                var ratio = torch.maximum(p / batch.Depth, batch.Depth / p);
                return new()
                {
                    ["rmse"] = PerImageMean((p - batch.Depth).pow(2), mask).Select(Math.Sqrt).ToArray(),
                    ["delta1"] = PerImageMean(ratio.lt(1.25).to(ScalarType.Float32), mask),
                };
            }
            case Tasks.Normals:
            {
                var cos = (predicted * batch.Normals).sum(1, keepdim: true).clamp(-1, 1);
                return new() { ["angular-error"] = PerImageMean(cos.acos() * (180.0 / Math.PI), mask) };
            }
            default:
                return new() { ["l1"] = PerImageMean((predicted - batch.Edges).abs(), torch.ones_like(batch.Edges)) };
        }
    }

    public double Value(string metric) => metric switch
    {
        "miou" => MeanIoU,
        "rmse" => depthCount == 0 ? double.NaN : Math.Sqrt(depthSquared / depthCount),
        "delta1" => depthCount == 0 ? double.NaN : depthDelta / depthCount,
        "angular-error" => angleCount == 0 ? double.NaN : angleSum / angleCount,
        "l1" => edgeCount == 0 ? double.NaN : edgeSum / edgeCount,
        _ => throw new ArgumentException($"unknown dense metric '{metric}'"),
    };
}
