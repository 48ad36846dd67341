namespace AdapterLab.Bench.Scenarios.Sweeps;

/// <summary>
/// What the sweep bench's runs say about one configuration (learning-rate multiplier X, bottleneck D) of its grid:
/// its validation accuracy at the first rung (200 of 400 steps) in every search that tried it; its validation accuracy
/// at the full budget on seeds chosen for nothing (the grid's and the confirmations' seeds, and finalists' replicates);
/// and the (first rung, full budget) pairs of single runs that were promoted — chosen on their first rung, so they serve
/// the slope of the full budget on the first rung (a selection on x leaves y's regression on x unbiased), never its mean.
/// </summary>
public sealed record SweepObservations(
    IReadOnlyDictionary<(double X, int D), IReadOnlyList<double>> FirstRung,
    IReadOnlyDictionary<(double X, int D), IReadOnlyList<double>> Full,
    IReadOnlyList<((double X, int D) Config, double First, double Full)> Pairs)
{
    /// <summary>A bootstrap copy: each configuration's values and the pairs resampled with replacement.</summary>
    public SweepObservations Resample(Random rng)
    {
        static IReadOnlyList<T> Draw<T>(IReadOnlyList<T> xs, Random rng) => Enumerable.Range(0, xs.Count).Select(_ => xs[rng.Next(xs.Count)]).ToList();
        return new SweepObservations(
            FirstRung.ToDictionary(kv => kv.Key, kv => Draw(kv.Value, rng)),
            Full.ToDictionary(kv => kv.Key, kv => Draw(kv.Value, rng)),
            Draw(Pairs, rng));
    }
}

/// <summary>
/// A configuration's run as a draw from what was measured (<see cref="SweepObservations"/>): its first-rung value one of
/// the values seen for it (the empirical distribution keeps a learning rate that sometimes diverges as it is, not a
/// bell curve around it), and its full-budget value on the same seed <c>mean_full + carry · z + ε</c>, where z is the
/// first-rung value in standard deviations of its configuration's first-rung values and ε ~ N(0, residual²): a run ahead
/// at the first rung stays partly ahead, in proportion to how unusual its lead is for its configuration (a configuration
/// whose first rung swings by 35 points because it sometimes diverges does not carry those swings to the full budget,
/// where its two grid seeds differ by one). The carry is pooled over every promoted run; the residual too, or — with
/// <c>perConfiguration</c> — each configuration's own from its promoted runs where it has at least
/// <see cref="MinPairs"/>. A replicate is an independent draw of the same.
/// </summary>
public sealed record SweepPowerModel(
    IReadOnlyDictionary<(double X, int D), IReadOnlyList<double>> FirstRung,
    IReadOnlyDictionary<(double X, int D), double> MeanFirst,
    IReadOnlyDictionary<(double X, int D), double> SdFirst,
    IReadOnlyDictionary<(double X, int D), double> MeanFull,
    double Carry,
    double Residual,
    IReadOnlyDictionary<(double X, int D), double> Residuals)
{
    /// <summary>Promoted runs a configuration needs for a residual of its own (<c>perConfiguration</c>).</summary>
    public const int MinPairs = 5;

    public static SweepPowerModel Fit(SweepObservations o, bool perConfiguration = false)
    {
        var missing = o.FirstRung.Keys.Where(c => !o.Full.TryGetValue(c, out var f) || f.Count == 0).ToList();
        if (missing.Count > 0 || o.FirstRung.Values.Any(v => v.Count == 0))
            throw new ArgumentException("every configuration needs a first-rung value and a full-budget value", nameof(o));
        if (o.Pairs.Count < 3) throw new ArgumentException("the carry needs at least three promoted runs", nameof(o));
        var meanFirst = o.FirstRung.ToDictionary(kv => kv.Key, kv => kv.Value.Average());
        var sdFirst = o.FirstRung.ToDictionary(kv => kv.Key, kv => Sd(kv.Value));
        var meanFull = o.Full.ToDictionary(kv => kv.Key, kv => kv.Value.Average());
        var centred = o.Pairs.Select(p => (p.Config, Z: Z(p.First, meanFirst[p.Config], sdFirst[p.Config]), Y: p.Full - meanFull[p.Config])).ToList();
        double szz = centred.Sum(p => p.Z * p.Z);
        double carry = szz > 0 ? centred.Sum(p => p.Z * p.Y) / szz : 0;
        double Rss(IEnumerable<(double Z, double Y)> xs) => xs.Sum(p => Math.Pow(p.Y - carry * p.Z, 2));
        double residual = Math.Sqrt(Rss(centred.Select(p => (p.Z, p.Y))) / (centred.Count - 1));
        var residuals = o.FirstRung.Keys.ToDictionary(c => c, c =>
        {
            var own = centred.Where(p => p.Config == c).Select(p => (p.Z, p.Y)).ToList();
            return perConfiguration && own.Count >= MinPairs ? Math.Sqrt(Rss(own) / (own.Count - 1)) : residual;
        });
        return new SweepPowerModel(o.FirstRung, meanFirst, sdFirst, meanFull, carry, residual, residuals);
    }

    /// <summary>One run of configuration <paramref name="c"/>: its value at the first rung and at the full budget.</summary>
    public (double First, double Full) Draw((double X, int D) c, Random rng)
    {
        var seen = FirstRung[c];
        double first = seen[rng.Next(seen.Count)];
        double full = MeanFull[c] + Carry * Z(first, MeanFirst[c], SdFirst[c]) + Residuals[c] * Normal(rng);
        return (first, Math.Clamp(full, 0, 1));
    }

    /// <summary>The spread of a single full-budget run of <paramref name="c"/> the model implies (a check against the measured one).</summary>
    public double FullSd((double X, int D) c)
    {
        var z = FirstRung[c].Select(v => Z(v, MeanFirst[c], SdFirst[c])).ToList();
        return Math.Sqrt(Carry * Carry * z.Sum(x => x * x) / z.Count + Residuals[c] * Residuals[c]);
    }

    private static double Z(double value, double mean, double sd) => sd > 0 ? (value - mean) / sd : 0;

    private static double Sd(IReadOnlyList<double> xs) =>
        xs.Count < 2 ? 0 : Math.Sqrt(xs.Sum(x => Math.Pow(x - xs.Average(), 2)) / (xs.Count - 1));

    public static double Normal(Random rng)
    {
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
