namespace AdapterLab.Bench.Runner;

/// <summary>Mean ± sample standard deviation, and the two-standard-deviation rule the reports use for significance.</summary>
public sealed record Stats(double Mean, double Std, int N)
{
    public static Stats Of(IEnumerable<double> values)
    {
        var v = values.ToList();
        if (v.Count == 0) return new Stats(double.NaN, double.NaN, 0);
        var mean = v.Average();
        var std = v.Count > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1)) : 0;
        return new Stats(mean, std, v.Count);
    }

    /// <summary>
    /// True when the means differ by more than two (pooled) standard deviations. A difference below the reports' precision
    /// (0.0005) is never significant, even with zero spread on both sides (e.g. two constant predictions).
    /// </summary>
    public static bool Significant(Stats a, Stats b) =>
        Math.Abs(a.Mean - b.Mean) >= 0.0005 && Math.Abs(a.Mean - b.Mean) > 2 * Math.Sqrt((a.Std * a.Std + b.Std * b.Std) / 2);

    /// <summary>A signed difference at the reports' precision; one that rounds to zero prints as 0.000 (not "-+0.000").</summary>
    public static string Signed(double difference) =>
        Math.Abs(difference) < 0.0005 ? "0.000" : difference.ToString("+0.000;-0.000");

    public override string ToString() => $"{Mean:0.000} ± {Std:0.000}";
}
