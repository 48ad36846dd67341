namespace AdapterLab.Statistics;

/// <summary>
/// Choosing a method's learning rate on validation (ml-spec): a grid of multipliers of the method's default spanning at
/// least 30×, scored by the mean validation metric over the grid's seeds; when an edge point wins, the grid is extended
/// past that edge (one more ×3 step) until an interior point wins or the grid holds <see cref="MaxPoints"/> points, so a
/// reported optimum is bracketed or plainly said not to be.
/// </summary>
public static class LearningRateGrid
{
    /// <summary>The starting multipliers: four points, 30× from end to end.</summary>
    public static readonly IReadOnlyList<double> Initial = [0.1, 0.3, 1, 3];

    /// <summary>The factor between an edge point and the point added past it.</summary>
    public const double Step = 3;

    /// <summary>The largest grid (four starting points and up to four extensions).</summary>
    public const int MaxPoints = 8;

    /// <summary>The winning multiplier: the highest score (ties to the multiplier closest to 1, i.e. the default).</summary>
    public static double Best(IReadOnlyDictionary<double, double> scores, bool higherIsBetter = true)
    {
        if (scores.Count == 0) throw new ArgumentException("no grid point has a score", nameof(scores));
        var finite = scores.Where(s => double.IsFinite(s.Value)).ToList();
        if (finite.Count == 0) return scores.Keys.OrderBy(k => Math.Abs(Math.Log(k))).First();
        return (higherIsBetter ? finite.OrderByDescending(s => s.Value) : finite.OrderBy(s => s.Value))
            .ThenBy(s => Math.Abs(Math.Log(s.Key))).First().Key;
    }

    /// <summary>The multiplier to add next, or null when the winner is interior (bracketed) or the grid is full.</summary>
    public static double? Extension(IReadOnlyDictionary<double, double> scores, bool higherIsBetter = true)
    {
        if (scores.Count >= MaxPoints) return null;
        double best = Best(scores, higherIsBetter), low = scores.Keys.Min(), high = scores.Keys.Max();
        if (best == low) return low / Step;
        if (best == high) return high * Step;
        return null;
    }

    /// <summary>Whether the winner has a grid point on each side (an optimum inside the grid, not at its edge).</summary>
    public static bool Bracketed(IReadOnlyDictionary<double, double> scores, bool higherIsBetter = true)
    {
        double best = Best(scores, higherIsBetter);
        return best > scores.Keys.Min() && best < scores.Keys.Max();
    }
}
