namespace AdapterLab.Statistics;

/// <summary>
/// Intervals for a configuration's mean over seeds and test examples.
/// <para>
/// The test examples are shared by every seed, so the mean's variance has a seed part, an example part and their
/// interaction: Var(ȳ) = σ²_seed/S + σ²_example/N + σ²_residual/(S·N) (two-way crossed random effects). The mean squares
/// of the S × N table estimate it without bias: V = (MS_seed + MS_example − MS_residual)/(S·N), and the interval is
/// ȳ ± t(ν)·√V with ν from Satterthwaite (the seed term at a reduced share of its degrees of freedom, see
/// <see cref="SeedDegreesOfFreedomShare"/>). With few seeds the seed part has few degrees of freedom and the t quantile
/// widens the interval accordingly — a percentile bootstrap over 3 seeds would under-cover (its spread of 3 values
/// underestimates the seed variance by a third and ignores the t tail); <c>IntervalCoverageTests</c> measure this one's
/// coverage by simulation. Deterministic: a reload shows the same numbers.
/// </para>
/// </summary>
public static class Intervals
{
    /// <summary>
    /// The share of its degrees of freedom the seed mean square counts with in Satterthwaite's formula for a
    /// configuration's mean: 1 − 1/(S − 1), at least ½ (3 seeds: ½, 5 seeds: ¾, 10 seeds: 8/9). The plug-in formula treats the estimated seed variance as
    /// known; with 3 seeds it rests on 2 degrees of freedom, and a low draw both narrows the interval and raises ν. In the
    /// simulation regime of <c>SimulationTests</c> (4,000 studies each) plain Satterthwaite covered 93.1 % at 3 seeds ×
    /// 4,000 examples; with this correction 94.5–95.6 % in all four regimes. Differences (<see cref="MeanDifference"/>)
    /// keep the full ν.
    /// </summary>
    public static double SeedDegreesOfFreedomShare(int seeds) => Math.Max(0.5, 1 - 1.0 / (seeds - 1));

    /// <summary>The mean of a seeds × examples table with its interval (see the type's remarks).</summary>
    public static Estimate Mean(SeedExampleTable table) => Mean(table, SeedDegreesOfFreedomShare(table.Seeds));

    /// <summary>
    /// The mean of a table of paired differences (candidate − baseline, by seed and example), for tests: the seed term keeps
    /// all its degrees of freedom. Its two sources of seed variance (one per configuration) and twice the residual make the
    /// plug-in ν well calibrated here without the correction (zero difference called "no difference" 96–97 % of the time at
    /// 5 % in <c>SimulationTests</c>), while the correction would cost power: with 3 seeds it halves ν.
    /// </summary>
    public static Estimate MeanDifference(SeedExampleTable differences) => Mean(differences, 1.0);

    private static Estimate Mean(SeedExampleTable table, double seedShare)
    {
        int s = table.Seeds, n = table.Examples;
        if (n == 0) return Estimate.Point(double.NaN, s);
        if (n == 1) return SeedsOnly(table.Rows.Select(r => r[0]).ToArray());
        var (grand, msSeed, msExample, msResidual) = MeanSquares(table);
        if (s == 1)
        {
            // One seed: the examples' spread only (a one-sample t over examples).
            double v1 = msExample / n;
            return Estimate.FromStandardError(grand, Math.Sqrt(Math.Max(0, v1)), n - 1, 1, n, IntervalMethod.ExamplesOnly);
        }
        double c = 1.0 / ((double)s * n);
        double v = c * (msSeed + msExample - msResidual);
        double dfSeed = s - 1, dfExample = n - 1, dfResidual = (double)(s - 1) * (n - 1);
        if (v <= 0)
        {
            // The unbiased estimate can fall below zero when the residual dominates; the larger of the two main terms is the
            // conservative replacement (it still contains the residual).
            (v, double df1) = msSeed >= msExample ? (c * msSeed, dfSeed) : (c * msExample, dfExample);
            return Estimate.FromStandardError(grand, Math.Sqrt(v), df1, s, n, IntervalMethod.SeedsAndExamples);
        }
        double denominator = Sq(c * msSeed) / (dfSeed * seedShare) + Sq(c * msExample) / dfExample + (dfResidual > 0 ? Sq(c * msResidual) / dfResidual : 0);
        double df = denominator > 0 ? Math.Max(1, v * v / denominator) : double.PositiveInfinity;
        return Estimate.FromStandardError(grand, Math.Sqrt(v), df, s, n, IntervalMethod.SeedsAndExamples);
    }

    /// <summary>A t interval over per-seed values alone (no per-example outcomes): the seed spread, not test-set sampling.</summary>
    public static Estimate SeedsOnly(IReadOnlyList<double> seedValues)
    {
        int s = seedValues.Count;
        if (s == 0) return Estimate.Point(double.NaN, 0);
        double mean = seedValues.Average();
        if (s == 1) return Estimate.Point(mean, 1);
        double variance = seedValues.Sum(x => Sq(x - mean)) / (s - 1);
        return Estimate.FromStandardError(mean, Math.Sqrt(variance / s), s - 1, s, 0, IntervalMethod.SeedsOnly);
    }

    /// <summary>Grand mean and the three mean squares of a two-way table without replication.</summary>
    internal static (double Grand, double Seed, double Example, double Residual) MeanSquares(SeedExampleTable table)
    {
        int s = table.Seeds, n = table.Examples;
        var rows = table.Rows;
        var seedMeans = new double[s];
        var exampleMeans = new double[n];
        double grand = 0;
        for (int i = 0; i < s; i++)
        {
            double sum = 0;
            var row = rows[i];
            for (int j = 0; j < n; j++) { sum += row[j]; exampleMeans[j] += row[j]; }
            seedMeans[i] = sum / n;
            grand += sum;
        }
        grand /= (double)s * n;
        for (int j = 0; j < n; j++) exampleMeans[j] /= s;
        double ssSeed = 0, ssExample = 0, ssTotal = 0;
        for (int i = 0; i < s; i++) ssSeed += Sq(seedMeans[i] - grand);
        ssSeed *= n;
        for (int j = 0; j < n; j++) ssExample += Sq(exampleMeans[j] - grand);
        ssExample *= s;
        for (int i = 0; i < s; i++)
        {
            var row = rows[i];
            for (int j = 0; j < n; j++) ssTotal += Sq(row[j] - grand);
        }
        double ssResidual = Math.Max(0, ssTotal - ssSeed - ssExample);
        double msSeed = s > 1 ? ssSeed / (s - 1) : 0;
        double msExample = n > 1 ? ssExample / (n - 1) : 0;
        double msResidual = s > 1 && n > 1 ? ssResidual / ((double)(s - 1) * (n - 1)) : 0;
        return (grand, msSeed, msExample, msResidual);
    }

    private static double Sq(double x) => x * x;
}
