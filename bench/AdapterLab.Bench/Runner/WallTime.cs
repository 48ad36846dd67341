using System.Text.Json;

namespace AdapterLab.Bench.Runner;

/// <summary>
/// A report's wall time on this machine's agents when it may span sittings: the hours during which at least one of its
/// runs trained (the union of their [start, finish] intervals), so a pause between sittings counts for nothing.
/// </summary>
public static class WallTime
{
    /// <summary>
    /// An experiment document's training intervals: each attempt's [start, finish] — an attempt cut off (a platform
    /// stopped between sittings) ends at its last heartbeat, so the pause before its resumption is not counted — or the
    /// experiment's own [start, finish] when the document lists no attempts.
    /// </summary>
    public static IEnumerable<(DateTimeOffset Start, DateTimeOffset End)> Of(JsonElement experiment)
    {
        if (experiment.TryGetProperty("attempts", out var attempts) && attempts.ValueKind == JsonValueKind.Array && attempts.GetArrayLength() > 0)
        {
            foreach (var a in attempts.EnumerateArray())
            {
                bool lost = a.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String && status.GetString() == "Lost";
                var end = lost ? Time(a, "lastHeartbeatAt") ?? Time(a, "finishedAt") : Time(a, "finishedAt") ?? Time(a, "lastHeartbeatAt");
                if (Time(a, "startedAt") is { } start && end is { } e && e > start) yield return (start, e);
            }
            yield break;
        }
        if (Time(experiment, "startedAt") is { } s && Time(experiment, "finishedAt") is { } f) yield return (s, f);
    }

    public static IEnumerable<(DateTimeOffset Start, DateTimeOffset End)> Of(IEnumerable<JsonElement> experiments) => experiments.SelectMany(Of);

    private static DateTimeOffset? Time(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.TryGetDateTimeOffset(out var t) ? t : null;

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
