using System.Text.Json.Nodes;

namespace AdapterLab.Contracts.Sweeps;

/// <summary>
/// Trial configurations of a sweep: the grid's cartesian product (paths in order, the last varying fastest), the same
/// points in a seeded order when a random or adaptive search runs over choices only, or seeded draws — trial <c>i</c>'s
/// values depend only on (sweep seed, i), so a restarted orchestrator draws the same trials.
/// </summary>
public static class SearchSpace
{
    /// <summary>How many combinations the grid has (saturating at <see cref="long.MaxValue"/>), computed without building it.</summary>
    public static long GridSize(SweepDefinition d)
    {
        long size = 1;
        foreach (var dim in d.Space.Values)
        {
            long n = dim?.Values?.Count ?? 0;
            size = n != 0 && size > long.MaxValue / n ? long.MaxValue : size * n;
        }
        return size;
    }

    /// <summary>Every combination of a grid sweep's choices.</summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, JsonNode?>> Grid(SweepDefinition d)
    {
        IEnumerable<IReadOnlyDictionary<string, JsonNode?>> points = [new Dictionary<string, JsonNode?>()];
        foreach (var (path, dim) in d.Space)
            points = points.SelectMany(p => dim.Values!.Select(v => (IReadOnlyDictionary<string, JsonNode?>)new Dictionary<string, JsonNode?>(p) { [path] = v?.DeepClone() })).ToList();
        return points.ToList();
    }

    /// <summary>
    /// The configurations a sweep's trials take, in trial order, when its space can be listed: a grid sweep's points in
    /// order; for random, ASHA and Hyperband searches over choices only (at most <see cref="SweepPlan.GridLimit"/>
    /// combinations), the same points in an order shuffled by the sweep's seed, so each configuration is tried at most once
    /// (a draw with replacement trains a duplicate: the same run again, at full cost). Null when a dimension is a range:
    /// trials are drawn (<see cref="Draw"/>).
    /// </summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, JsonNode?>>? Points(SweepDefinition d)
    {
        if (d.Algorithm == SweepAlgorithms.Grid) return Grid(d);
        if (d.Space.Values.Any(dim => dim.Type != SearchTypes.Choice) || GridSize(d) > SweepPlan.GridLimit) return null;
        var points = Grid(d).ToArray();
        // Fisher–Yates from a deterministic seed (as the draws): a restarted orchestrator lists the same order.
        var random = new Random(unchecked(d.Seed * 1_000_003 + 524_287));
        for (int i = points.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (points[i], points[j]) = (points[j], points[i]);
        }
        return points;
    }

    /// <summary>Trial <paramref name="index"/>'s draw (0-based): one value per searched path.</summary>
    public static IReadOnlyDictionary<string, JsonNode?> Draw(SweepDefinition d, int index)
    {
        var values = new Dictionary<string, JsonNode?>();
        int k = 0;
        foreach (var (path, dim) in d.Space)
        {
            // One stream per (seed, trial, dimension, path), from a deterministic mix (HashCode is randomised per process):
            // a restarted orchestrator draws the same values.
            var random = new Random(unchecked(d.Seed * 1_000_003 + index * 7_919 + k++ * 104_729 + StableHash(path)));
            double u = random.NextDouble();
            values[path] = dim.Type switch
            {
                SearchTypes.Choice => dim.Values![random.Next(dim.Values.Count)]?.DeepClone(),
                SearchTypes.Uniform => JsonValue.Create(dim.Low!.Value + u * (dim.High!.Value - dim.Low.Value)),
                SearchTypes.LogUniform => JsonValue.Create(Math.Exp(Math.Log(dim.Low!.Value) + u * (Math.Log(dim.High!.Value) - Math.Log(dim.Low.Value)))),
                _ => JsonValue.Create((long)dim.Low!.Value + (long)Math.Floor(u * ((long)dim.High!.Value - (long)dim.Low.Value + 1))),
            };
        }
        return values;
    }

    /// <summary>The template with <paramref name="values"/> written at their dotted paths (objects created as needed).</summary>
    public static JsonObject Apply(JsonObject template, IReadOnlyDictionary<string, JsonNode?> values)
    {
        var spec = (JsonObject)template.DeepClone();
        foreach (var (path, value) in values)
        {
            var parts = path.Split('.');
            var node = spec;
            foreach (var part in parts[..^1])
            {
                if (node[part] is not JsonObject child) node[part] = child = new JsonObject();
                node = child;
            }
            node[parts[^1]] = value?.DeepClone();
        }
        return spec;
    }

    private static int StableHash(string s)
    {
        unchecked
        {
            int h = 23;
            foreach (char c in s) h = h * 31 + c;
            return h;
        }
    }
}
