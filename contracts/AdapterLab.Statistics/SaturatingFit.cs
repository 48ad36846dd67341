namespace AdapterLab.Statistics;

/// <summary>
/// A saturating curve through (x, y) points measured on a doubling grid (AdaptFormer's bottleneck d̂ ∈ {1, 2, …, 64}):
/// y = a − b·exp(−log₂(x) / τ), least squares (a, b closed form for each τ on a fine grid). The knee is the smallest x
/// at which the curve has covered 90 % of its rise from the first grid point to the plateau a.
/// </summary>
public sealed record SaturatingFit(double Plateau, double Rise, double Tau, double Knee, double RootMeanSquareError)
{
    /// <summary>The share of the rise the knee marks.</summary>
    public const double KneeShare = 0.9;

    public double At(double x) => Plateau - Rise * Math.Exp(-Math.Log2(x) / Tau);

    public static SaturatingFit Fit(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count || x.Count < 3) throw new ArgumentException("a saturating fit needs at least three (x, y) points");
        if (x.Any(v => v <= 0)) throw new ArgumentException("x must be positive");
        var u = x.Select(Math.Log2).ToArray();
        SaturatingFit? best = null;
        for (double tau = 0.05; tau <= 20; tau *= 1.02)
        {
            // y = a − b·e, e = exp(−u/τ): linear in (a, b).
            var e = u.Select(v => Math.Exp(-v / tau)).ToArray();
            double n = e.Length, se = e.Sum(), see = e.Sum(v => v * v), sy = y.Sum(), sey = e.Zip(y).Sum(p => p.First * p.Second);
            double det = n * see - se * se;
            if (Math.Abs(det) < 1e-12) continue;
            double a = (see * sy - se * sey) / det, c = (n * sey - se * sy) / det; // y = a + c·e, so b = −c
            double rmse = Math.Sqrt(e.Zip(y).Sum(p => Math.Pow(a + c * p.First - p.Second, 2)) / n);
            if (best is null || rmse < best.RootMeanSquareError) best = new SaturatingFit(a, -c, tau, double.NaN, rmse);
        }
        if (best is null) throw new ArgumentException("the points admit no fit");
        // The knee: the rise from the first point is covered to 90 % where exp(−(u − u₀)/τ) = 0.1.
        double u0 = u.Min();
        double knee = Math.Pow(2, u0 + best.Tau * Math.Log(1 / (1 - KneeShare)));
        return best with { Knee = knee };
    }
}
