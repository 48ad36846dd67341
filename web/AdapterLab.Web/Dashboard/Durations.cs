namespace AdapterLab.Web.Dashboard;

/// <summary>Durations as people write them: "2 h", "1 h 30 min", "45 s", "3 d" — not "02:00:00" or "2.00:00:00".</summary>
public static class Durations
{
    public static string Describe(TimeSpan span)
    {
        if (span < TimeSpan.Zero) return "-" + Describe(span.Negate());
        if (span < TimeSpan.FromMinutes(1)) return $"{span.TotalSeconds:0.#} s";
        var parts = new List<string>();
        if (span.Days > 0) parts.Add($"{span.Days} d");
        if (span.Hours > 0) parts.Add($"{span.Hours} h");
        if (span.Minutes > 0) parts.Add($"{span.Minutes} min");
        if (span.Days == 0 && span.Hours == 0 && span.Seconds > 0) parts.Add($"{span.Seconds} s");
        return string.Join(" ", parts);
    }
}
