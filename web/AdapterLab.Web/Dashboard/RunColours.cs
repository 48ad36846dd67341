namespace AdapterLab.Web.Dashboard;

/// <summary>
/// One colour per run across every panel of a page: picked from a fixed palette by a stable hash of the run's label
/// (not by its position in a panel, which changes when a panel lacks a series), and a dash style per split.
/// </summary>
public static class RunColours
{
    /// <summary>Tableau 10: distinct, colour-blind-aware, readable on light and dark backgrounds.</summary>
    public static readonly IReadOnlyList<string> Palette =
        ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

    /// <summary>The colour of <paramref name="run"/> (FNV-1a of its label, so the same on every page and panel).</summary>
    public static string Of(string run)
    {
        uint hash = 2166136261;
        foreach (char c in run) hash = (hash ^ c) * 16777619;
        return Palette[(int)(hash % (uint)Palette.Count)];
    }

    /// <summary>Train solid, validation dashed, test dotted.</summary>
    public static string DashOf(string split) => split switch { "validation" => "dash", "test" => "dot", _ => "solid" };

    /// <summary>Exponential moving average with weight <paramref name="weight"/> (0: none), skipping gaps, debiased at the start as TensorBoard does.</summary>
    public static double?[] Smooth(IReadOnlyList<double?> values, double weight)
    {
        var result = new double?[values.Count];
        if (weight <= 0) { for (int i = 0; i < values.Count; i++) result[i] = values[i]; return result; }
        double last = 0;
        int n = 0;
        for (int i = 0; i < values.Count; i++)
        {
            if (values[i] is not { } v || !double.IsFinite(v)) continue;
            last = last * weight + (1 - weight) * v;
            n++;
            result[i] = last / (1 - Math.Pow(weight, n));
        }
        return result;
    }
}
