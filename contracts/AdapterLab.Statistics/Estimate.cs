namespace AdapterLab.Statistics;

/// <summary>How an interval was computed, so a page can say what it includes.</summary>
public enum IntervalMethod
{
    /// <summary>Seeds × examples: the seed spread and test-set sampling (two-way random effects, Satterthwaite t).</summary>
    SeedsAndExamples,

    /// <summary>Seeds only: no per-example outcomes stored (experiments from before they existed); test-set sampling is not included.</summary>
    SeedsOnly,

    /// <summary>One seed: test-set sampling only; the seed spread is unknown.</summary>
    ExamplesOnly,

    /// <summary>One run and no per-example outcomes: no interval can be given.</summary>
    None,
}

/// <summary>
/// A mean (or a paired difference) with its 95 % interval, standard error and degrees of freedom, and the number of
/// seeds and examples it rests on.
/// </summary>
public sealed record Estimate(double Value, double Lower, double Upper, double StandardError, double DegreesOfFreedom, int Seeds, int Examples, IntervalMethod Method)
{
    public const double Level = 0.95;

    public bool HasInterval => Method != IntervalMethod.None && double.IsFinite(Lower) && double.IsFinite(Upper);

    /// <summary>"n = 3 seeds × 2,000 examples" — what the estimate rests on, for verdicts and tooltips.</summary>
    public string SampleSize => Examples > 0 ? $"n = {Seeds} seed{(Seeds == 1 ? "" : "s")} × {Examples:N0} examples" : $"n = {Seeds} seed{(Seeds == 1 ? "" : "s")}";

    /// <summary>A point without uncertainty (one run, nothing per example).</summary>
    public static Estimate Point(double value, int seeds) => new(value, double.NaN, double.NaN, double.NaN, double.NaN, seeds, 0, IntervalMethod.None);

    /// <summary>The interval cut to a metric's range (a proportion's bounds never pass 0 or 1); the point and the test are unchanged.</summary>
    public Estimate ClampedTo(double min, double max) =>
        HasInterval ? this with { Lower = Math.Max(min, Lower), Upper = Math.Min(max, Upper) } : this;

    /// <summary>Metrics that are proportions: their intervals are cut to [0, 1].</summary>
    public static bool IsProportion(string metric) => metric is "accuracy" or "miou" or "delta1" or "odsf";

    /// <summary>value ± t(df)·se.</summary>
    public static Estimate FromStandardError(double value, double se, double df, int seeds, int examples, IntervalMethod method)
    {
        if (!(se >= 0) || !(df > 0)) return new Estimate(value, double.NaN, double.NaN, se, df, seeds, examples, IntervalMethod.None);
        double half = se == 0 ? 0 : Distributions.StudentTQuantile(0.5 + Level / 2, df) * se;
        return new Estimate(value, value - half, value + half, se, df, seeds, examples, method);
    }
}
