namespace AdapterLab.Statistics;

/// <summary>
/// Per-example outcomes for a metric that is not a mean of per-example values — a dataset-level mIoU (summed
/// intersections over summed unions per class), an RMSE over all valid pixels, a pixel-weighted mean — so that the
/// seeds × examples machinery of <see cref="Intervals"/> and <see cref="Comparisons"/> applies to it unchanged.
/// <para>
/// Each example contributes a vector of additive parts (e.g. its squared error and pixel count); the metric is a function
/// of their sum. The centred jackknife pseudo-value of example j is ψ_j = θ + (N − 1)(θ̄₋ − θ₋ⱼ), where θ is the metric on
/// all examples, θ₋ⱼ without example j, and θ̄₋ the mean of the θ₋ⱼ. The ψ average to θ exactly (the table's mean is the
/// reported metric), and their variance over N is the jackknife variance — for a smooth metric the linearised
/// (delta-method) variance of θ under test-set sampling. A mean of per-example values gives back the values themselves.
/// </para>
/// </summary>
public static class Jackknife
{
    /// <param name="parts">Per example, its additive parts (every vector the same length).</param>
    /// <param name="metric">The metric of summed parts; may return NaN where it is undefined (an empty sum).</param>
    /// <returns>One pseudo-value per example; all NaN when the metric on every example is undefined.</returns>
    public static double[] PseudoValues(IReadOnlyList<double[]> parts, Func<double[], double> metric)
    {
        int n = parts.Count;
        if (n == 0) return [];
        int k = parts[0].Length;
        var total = new double[k];
        foreach (var p in parts)
        {
            if (p.Length != k) throw new ArgumentException("every example needs the same number of parts");
            for (int i = 0; i < k; i++) total[i] += p[i];
        }
        double theta = metric(total);
        var result = new double[n];
        if (n == 1 || !double.IsFinite(theta))
        {
            Array.Fill(result, theta);
            return result;
        }
        var without = new double[n];
        var scratch = new double[k];
        double sum = 0;
        for (int j = 0; j < n; j++)
        {
            var p = parts[j];
            for (int i = 0; i < k; i++) scratch[i] = total[i] - p[i];
            double v = metric(scratch);
            // Leaving out the only example with any valid pixel leaves the metric undefined: that example carries it all,
            // and its leave-one-out value is taken as the full one (it then adds nothing to the variance) — rare, and
            // only on tiny test sets.
            without[j] = double.IsFinite(v) ? v : theta;
            sum += without[j];
        }
        double meanWithout = sum / n;
        for (int j = 0; j < n; j++) result[j] = theta + (n - 1) * (meanWithout - without[j]);
        return result;
    }
}
