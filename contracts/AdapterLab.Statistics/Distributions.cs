namespace AdapterLab.Statistics;

/// <summary>The distribution functions the tests and intervals need: Student's t and the standard normal.</summary>
public static class Distributions
{
    /// <summary>P(T ≤ t) for Student's t with <paramref name="df"/> degrees of freedom (df may be fractional; ∞ gives the normal).</summary>
    public static double StudentTCdf(double t, double df)
    {
        if (double.IsNaN(t)) return double.NaN;
        if (double.IsPositiveInfinity(df) || df > 1e7) return NormalCdf(t);
        if (double.IsPositiveInfinity(t)) return 1;
        if (double.IsNegativeInfinity(t)) return 0;
        double x = df / (df + t * t);
        double tail = 0.5 * RegularizedIncompleteBeta(df / 2, 0.5, x);
        return t >= 0 ? 1 - tail : tail;
    }

    /// <summary>Two-sided p-value of a t statistic.</summary>
    public static double TwoSidedP(double t, double df)
    {
        if (double.IsNaN(t)) return 1;
        if (double.IsInfinity(t)) return 0;
        return Math.Min(1, 2 * StudentTCdf(-Math.Abs(t), df));
    }

    /// <summary>The t quantile: the q with P(T ≤ q) = <paramref name="p"/>.</summary>
    public static double StudentTQuantile(double p, double df)
    {
        if (p <= 0) return double.NegativeInfinity;
        if (p >= 1) return double.PositiveInfinity;
        if (double.IsPositiveInfinity(df) || df > 1e7) return NormalQuantile(p);
        // Bisection on a bracket that always holds the quantile (t's tails are heavier than the normal's), then a few Newton-free halvings to 1e-12.
        double lo = -1, hi = 1;
        while (StudentTCdf(lo, df) > p) lo *= 2;
        while (StudentTCdf(hi, df) < p) hi *= 2;
        for (int i = 0; i < 200 && hi - lo > 1e-12 * Math.Max(1, Math.Abs(hi)); i++)
        {
            double mid = 0.5 * (lo + hi);
            if (StudentTCdf(mid, df) < p) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    public static double NormalCdf(double z) => 0.5 * Erfc(-z / Math.Sqrt(2));

    /// <summary>Acklam's rational approximation refined by one Halley step (|error| &lt; 1e-12).</summary>
    public static double NormalQuantile(double p)
    {
        if (p <= 0) return double.NegativeInfinity;
        if (p >= 1) return double.PositiveInfinity;
        double[] a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        double[] b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        double[] c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        double[] d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        double x;
        if (p < 0.02425)
        {
            double q = Math.Sqrt(-2 * Math.Log(p));
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        else if (p > 1 - 0.02425)
        {
            double q = Math.Sqrt(-2 * Math.Log(1 - p));
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        else
        {
            double q = p - 0.5, r = q * q;
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
        }
        double e = NormalCdf(x) - p;
        double u = e * Math.Sqrt(2 * Math.PI) * Math.Exp(x * x / 2);
        return x - u / (1 + x * u / 2);
    }

    /// <summary>Complementary error function (W. J. Cody's rational Chebyshev approximations via erf series / continued fraction, |rel. error| &lt; 1e-14).</summary>
    public static double Erfc(double x)
    {
        if (x < 0) return 2 - Erfc(-x);
        if (x < 0.5)
        {
            // erf series
            double sum = x, term = x, x2 = x * x;
            for (int n = 1; n < 60; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            return 1 - 2 / Math.Sqrt(Math.PI) * sum;
        }
        // Continued fraction for erfc (Lentz).
        double tiny = 1e-300, f = tiny, C = f, D = 0;
        // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + 2/(x + …)))))
        double b0 = x;
        f = b0; if (f == 0) f = tiny; C = f; D = 0;
        for (int n = 1; n < 500; n++)
        {
            double an = n / 2.0;
            double bn = x;
            D = bn + an * D; if (D == 0) D = tiny; D = 1 / D;
            C = bn + an / C; if (C == 0) C = tiny;
            double delta = C * D;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }

    /// <summary>The regularised incomplete beta function I_x(a, b) (continued fraction, Numerical Recipes' betacf).</summary>
    public static double RegularizedIncompleteBeta(double a, double b, double x)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        double lnFront = LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x);
        if (x < (a + 1) / (a + b + 2)) return Math.Exp(lnFront) * BetaContinuedFraction(a, b, x) / a;
        return 1 - Math.Exp(lnFront) * BetaContinuedFraction(b, a, 1 - x) / b;
    }

    private static double BetaContinuedFraction(double a, double b, double x)
    {
        const double tiny = 1e-300;
        double qab = a + b, qap = a + 1, qam = a - 1;
        double c = 1, d = 1 - qab * x / qap;
        if (Math.Abs(d) < tiny) d = tiny;
        d = 1 / d;
        double h = d;
        for (int m = 1; m <= 1000; m++)
        {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + aa * d; if (Math.Abs(d) < tiny) d = tiny;
            c = 1 + aa / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d; h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + aa * d; if (Math.Abs(d) < tiny) d = tiny;
            c = 1 + aa / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-15) break;
        }
        return h;
    }

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7, n = 9).</summary>
    public static double LogGamma(double x)
    {
        double[] g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        x -= 1;
        double sum = g[0];
        for (int i = 1; i < 9; i++) sum += g[i] / (x + i);
        double t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }

    /// <summary>Two-sided exact binomial p-value for k successes in n trials at p = 1/2 (McNemar's exact test on discordant pairs).</summary>
    public static double BinomialTwoSidedHalf(int k, int n)
    {
        if (n == 0) return 1;
        int m = Math.Min(k, n - k);
        // P(X ≤ m) for X ~ Bin(n, 1/2), in log space.
        double logHalfN = -n * Math.Log(2), sum = 0;
        for (int i = 0; i <= m; i++) sum += Math.Exp(LogChoose(n, i) + logHalfN);
        return Math.Min(1, 2 * sum);
    }

    private static double LogChoose(int n, int k) => LogGamma(n + 1) - LogGamma(k + 1) - LogGamma(n - k + 1);
}
