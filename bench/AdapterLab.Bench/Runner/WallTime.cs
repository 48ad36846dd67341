using System.Text.Json;

namespace AdapterLab.Bench.Runner;

/// <summary>
/// A report's wall time on this machine's agents when it may span sittings: the hours during which at least one of its
/// runs trained (the union of their [start, finish] intervals), so a pause between sittings counts for nothing.
/// </summary>
public static class WallTime
{
    /// <summary>An experiment document's [start, finish], when it started.</summary>
    public static (DateTimeOffset Start, DateTimeOffset End)? Of(JsonElement experiment) =>
        experiment.TryGetProperty("startedAt", out var s) && s.ValueKind == JsonValueKind.String
        && experiment.TryGetProperty("finishedAt", out var f) && f.ValueKind == JsonValueKind.String
            ? (s.GetDateTimeOffset(), f.GetDateTimeOffset()) : null;

    public static IEnumerable<(DateTimeOffset Start, DateTimeOffset End)> Of(IEnumerable<JsonElement> experiments) =>
        experiments.Select(Of).OfType<(DateTimeOffset, DateTimeOffset)>();

    /// <summary>Hours during which at least one interval was open.</summary>
    public static double BusyHours(IEnumerable<(DateTimeOffset Start, DateTimeOffset End)> intervals)
    {
        double hours = 0;
        DateTimeOffset? from = null, to = null;
        foreach (var (start, end) in intervals.OrderBy(i => i.Start))
        {
            if (to is { } t && start <= t) { if (end > t) to = end; continue; }
            if (from is { } f0 && to is { } t0) hours += (t0 - f0).TotalHours;
            (from, to) = (start, end);
        }
        if (from is { } f && to is { } e) hours += (e - f).TotalHours;
        return hours;
    }
}
