using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Datasets.ShapesWorld;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Multitask;

/// <summary>
/// Image-blind predictions computed from the source train split, as raw decoder outputs that the usual decoding turns
/// into the prediction: the floors every dense result must beat (per-pixel majority class, per-pixel mean log-depth over
/// non-sky pixels, the mean normal renormalised, the per-pixel edge frequency — its ODS F-measure is what an image-blind
/// edge map scores, where an all-zero map scores 0), and the zero-shot baselines' constants.
/// </summary>
public static class DenseFloors
{
    /// <summary>A logit this large makes a one-hot class certain and a sigmoid 0 to float precision.</summary>
    private const float Certain = 30f;

    /// <summary>Floor raw outputs per task, [1, C, S, S] (normals [1, 3, 1, 1]), on <paramref name="device"/> and outside any dispose scope.</summary>
    public static Dictionary<string, Tensor> From(DenseSplit train, IEnumerable<string> tasks, Device device)
    {
        int classes = DenseTargets.Classes, hw = train.ImageSize * train.ImageSize, s = train.ImageSize;
        var result = new Dictionary<string, Tensor>();
        foreach (var task in tasks)
        {
            Tensor raw;
            switch (Tasks.KindOf(task))
            {
                case Tasks.Segmentation:
                {
                    var counts = new long[hw, classes];
                    for (int i = 0; i < train.Segmentation.Length; i++) counts[i % hw, train.Segmentation[i]]++;
                    var logits = new float[classes * hw];
                    for (int p = 0; p < hw; p++)
                    {
                        int best = 0;
                        for (int c = 1; c < classes; c++) if (counts[p, c] > counts[p, best]) best = c;
                        logits[best * hw + p] = Certain;
                    }
                    raw = torch.tensor(logits, [1, classes, s, s]);
                    break;
                }
                case Tasks.Depth:
                {
                    var sum = new double[hw];
                    var n = new long[hw];
                    double all = 0; long allCount = 0;
                    for (int i = 0; i < train.Segmentation.Length; i++)
                    {
                        if (train.Segmentation[i] == DenseTargets.SkyClass) continue;
                        double v = Math.Log(Math.Max(train.Depth[i], 1e-3));
                        sum[i % hw] += v; n[i % hw]++;
                        all += v; allCount++;
                    }
                    double fallback = allCount > 0 ? all / allCount : 0;
                    raw = torch.tensor(sum.Select((v, p) => (float)(n[p] > 0 ? v / n[p] : fallback)).ToArray(), [1, 1, s, s]);
                    break;
                }
                case Tasks.Normals:
                {
                    var mean = MeanNormal(train);
                    double length = Math.Sqrt(mean.Sum(v => v * v));
                    raw = torch.tensor(mean.Select(v => (float)(length > 1e-12 ? v / length : 0)).ToArray(), [1, 3, 1, 1]);
                    break;
                }
                default:
                {
                    // The share of training images with a ground-truth edge at each pixel, as a probability (logit).
                    var share = new double[hw];
                    for (int i = 0; i < train.Edges.Length; i++)
                        if (train.Edges[i] >= AdapterLab.Contracts.Predictions.DenseMetricParts.EdgeTruth) share[i % hw]++;
                    raw = torch.tensor(share.Select(v => (float)Logit(v / train.Count)).ToArray(), [1, 1, s, s]);
                    break;
                }
            }
            result[task] = raw.to(device).DetachFromDisposeScope();
        }
        return result;
    }

    /// <summary>log(p / (1 − p)), with p kept inside [1e-4, 1 − 1e-4].</summary>
    public static double Logit(double p)
    {
        p = Math.Clamp(p, 1e-4, 1 - 1e-4);
        return Math.Log(p / (1 - p));
    }

    /// <summary>The mean ground-truth normal over non-sky pixels of a split (not renormalised).</summary>
    public static double[] MeanNormal(DenseSplit train)
    {
        int hw = train.ImageSize * train.ImageSize;
        var normal = new double[3];
        long valid = 0;
        for (int i = 0; i < train.Segmentation.Length; i++)
        {
            if (train.Segmentation[i] == DenseTargets.SkyClass) continue;
            valid++;
            int image = i / hw, pixel = i % hw;
            for (int c = 0; c < 3; c++) normal[c] += train.Normals[(long)image * 3 * hw + c * hw + pixel];
        }
        return normal.Select(v => v / Math.Max(1, valid)).ToArray();
    }

    /// <summary>Constant "raw outputs" [1, C, 1, 1] from the source training targets: majority class, mean log-depth (non-sky), mean normal, mean edge.</summary>
    public static Dictionary<string, Tensor> ZeroShotConstants(DenseSplit train)
    {
        int classes = DenseTargets.Classes;
        var counts = new long[classes];
        double logDepth = 0, edges = 0; long valid = 0;
        for (int i = 0; i < train.Segmentation.Length; i++)
        {
            counts[train.Segmentation[i]]++;
            edges += train.Edges[i];
            if (train.Segmentation[i] == DenseTargets.SkyClass) continue;
            valid++;
            logDepth += Math.Log(Math.Max(train.Depth[i], 1e-3));
        }
        var seg = new float[classes];
        seg[Array.IndexOf(counts, counts.Max())] = 10;
        double edgeMean = Math.Clamp(edges / train.Segmentation.Length, 1e-4, 1 - 1e-4);
        return new Dictionary<string, Tensor>
        {
            [Tasks.Segmentation] = torch.tensor(seg, [1, classes, 1, 1]),
            [Tasks.Depth] = torch.tensor(new[] { (float)(logDepth / Math.Max(1, valid)) }, [1, 1, 1, 1]),
            [Tasks.Normals] = torch.tensor(MeanNormal(train).Select(v => (float)v).ToArray(), [1, 3, 1, 1]),
            [Tasks.Edges] = torch.tensor(new[] { (float)Math.Log(edgeMean / (1 - edgeMean)) }, [1, 1, 1, 1]),
        };
    }
}
