using AdapterLab.Statistics;

namespace AdapterLab.Contracts.Predictions;

/// <summary>
/// The dense metrics as functions of per-image additive parts: what an image contributes to the dataset-level value, so
/// that the value over any set of images is the metric of their summed parts. The trainer stores each image's parts
/// (<see cref="PredictionSet.MetricParts"/>); statistics resample images through <see cref="Jackknife"/> pseudo-values.
/// <list type="bullet">
/// <item><c>miou</c>: [intersection of class 0 … C−1, union of class 0 … C−1]; the mean over classes with a non-empty union of intersection ÷ union.</item>
/// <item><c>rmse</c>: [sum of squared errors, valid pixels]; √(sum ÷ pixels).</item>
/// <item><c>delta1</c>, <c>angular-error</c>, <c>l1</c>: [sum, pixels]; sum ÷ pixels.</item>
/// <item><c>reconstruction-mse</c> (masked autoencoding): [sum over hidden patches of each patch's mean squared error, hidden patches]; sum ÷ patches.</item>
/// <item><c>odsf</c> (edges, the ODS F-measure): [true positives at each of the <see cref="EdgeThresholds"/>, false positives at
/// each, false negatives at each]; the best over thresholds of 2·TP ÷ (2·TP + FP + FN) — one threshold for the whole set
/// (optimal dataset scale), pixel-exact matching (no distance tolerance at 32²).</item>
/// </list>
/// </summary>
public static class DenseMetricParts
{
    /// <summary>The metric of summed parts, or null when <paramref name="metric"/> is not a dense metric with parts.</summary>
    public static Func<double[], double>? Formula(string metric) => metric switch
    {
        "miou" => MeanIoU,
        "rmse" => s => s.Length == 2 && s[1] > 0 ? Math.Sqrt(s[0] / s[1]) : double.NaN,
        "delta1" or "angular-error" or "l1" or "reconstruction-mse" => s => s.Length == 2 && s[1] > 0 ? s[0] / s[1] : double.NaN,
        "odsf" => OdsF,
        _ => null,
    };

    /// <summary>The probability thresholds the ODS F-measure sweeps (0.05 … 0.95).</summary>
    public static readonly IReadOnlyList<double> EdgeThresholds = Enumerable.Range(1, 19).Select(k => k / 20.0).ToArray();

    /// <summary>A ground-truth edge pixel: Sobel magnitude of the clean render at least this (segment boundaries; shading stays below).</summary>
    public const double EdgeTruth = 0.1;

    private static double OdsF(double[] s)
    {
        int t = EdgeThresholds.Count;
        if (s.Length != 3 * t) return double.NaN;
        double best = double.NaN;
        for (int k = 0; k < t; k++)
        {
            double denominator = 2 * s[k] + s[t + k] + s[2 * t + k];
            if (denominator <= 0) continue;
            double f = 2 * s[k] / denominator;
            if (double.IsNaN(best) || f > best) best = f;
        }
        return best;
    }

    public static bool Supports(string metric) => Formula(metric) is not null;

    /// <summary>The metric over all the given images (their parts summed).</summary>
    public static double Value(string metric, IEnumerable<double[]> parts)
    {
        var formula = Formula(metric) ?? throw new ArgumentException($"'{metric}' has no per-image parts");
        double[]? total = null;
        foreach (var p in parts)
        {
            total ??= new double[p.Length];
            if (p.Length != total.Length) throw new ArgumentException("every image needs the same number of parts");
            for (int i = 0; i < p.Length; i++) total[i] += p[i];
        }
        return total is null ? double.NaN : formula(total);
    }

    /// <summary>Per-image outcomes whose mean is the dataset-level metric (centred jackknife pseudo-values).</summary>
    public static double[] Outcomes(string metric, IReadOnlyList<double[]> parts) =>
        Jackknife.PseudoValues(parts, Formula(metric) ?? throw new ArgumentException($"'{metric}' has no per-image parts"));

    private static double MeanIoU(double[] s)
    {
        if (s.Length == 0 || s.Length % 2 != 0) return double.NaN;
        int classes = s.Length / 2;
        double sum = 0;
        int present = 0;
        for (int c = 0; c < classes; c++)
        {
            double union = s[classes + c];
            if (union <= 0) continue;
            sum += s[c] / union;
            present++;
        }
        return present == 0 ? double.NaN : sum / present;
    }
}
