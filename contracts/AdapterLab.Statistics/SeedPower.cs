namespace AdapterLab.Statistics;

/// <summary>
/// How many seeds a paired comparison needs to detect a difference: n = ((z₁₋α/₂ + z₁₋β) · σ / δ)², σ the standard
/// deviation of the per-seed paired differences (seeds-only: the spread a new seed adds), two-sided α = 0.05 and 80 %
/// power by default. A planning figure from the normal approximation, stated as such, never a result.
/// </summary>
public static class SeedPower
{
    public static int SeedsToDetect(double difference, double pairedSeedSd, double alpha = 0.05, double power = 0.8)
    {
        if (!(difference > 0)) throw new ArgumentOutOfRangeException(nameof(difference), "must be positive");
        if (!(pairedSeedSd >= 0)) throw new ArgumentOutOfRangeException(nameof(pairedSeedSd), "must be a finite spread");
        double z = NormalQuantile(1 - alpha / 2) + NormalQuantile(power);
        return Math.Max(2, (int)Math.Ceiling(Math.Pow(z * pairedSeedSd / difference, 2)));
    }

    /// <summary>The standard normal quantile (Acklam's rational approximation, |error| &lt; 1.2e-9).</summary>
    public static double NormalQuantile(double p)
    {
        if (p <= 0 || p >= 1) throw new ArgumentOutOfRangeException(nameof(p));
        double[] a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        double[] b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        double[] c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        double[] d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        const double low = 0.02425;
        if (p < low)
        {
            double q = Math.Sqrt(-2 * Math.Log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p > 1 - low) return -NormalQuantile(1 - p);
        double r = p - 0.5, s = r * r;
        return (((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r / (((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1);
    }
}
