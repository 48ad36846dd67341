using AdapterLab.Data;
using AdapterLab.Data.Logs;

namespace AdapterLab.Web.Dashboard;

/// <summary>An attempt's log, read for the API and the run page (one shape for both).</summary>
public static class AttemptLogs
{
    public static async Task<AttemptLogPage> ReadAsync(PlatformDbContext db, Guid id, int attempt, int after, string? contains,
        IReadOnlyCollection<string> levels, int limit, CancellationToken ct)
    {
        limit = Math.Clamp(limit, 1, AttemptLogStore.MaxPage);
        var lines = await AttemptLogStore.ReadAsync(db, id, attempt, after, contains, levels, limit + 1, ct);
        bool more = lines.Count > limit;
        if (more) lines.RemoveAt(lines.Count - 1);
        return new AttemptLogPage(
            lines.Select(l => new LogLineView(l.Sequence, l.At, l.Level, l.Message)).ToList(),
            // Pass back as after= for the next page; when this page reached the end, for the lines still to come.
            lines.Count > 0 ? lines[^1].Sequence : after,
            more);
    }
}

/// <summary>A page of an attempt's log: the lines, where to continue (<c>after=</c>), and whether more match now.</summary>
public sealed record AttemptLogPage(IReadOnlyList<LogLineView> Lines, int Next, bool More);

/// <summary>One log line of an attempt.</summary>
public sealed record LogLineView(int Sequence, DateTimeOffset At, string Level, string Message);
