using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Data.ShapesWorld;
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
