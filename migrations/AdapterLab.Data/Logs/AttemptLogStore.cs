using AdapterLab.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Data.Logs;

/// <summary>
/// The attempts' log lines: appended by the orchestrator from the agents' batches (idempotent per line, bounded per
/// attempt and per line whatever an agent sends), read by the web page by page and searched by substring.
/// </summary>
public static class AttemptLogStore
{
    /// <summary>One page of an attempt's log at most.</summary>
    public const int MaxPage = 1_000;

    /// <summary>A line to store (<see cref="AttemptLogLine"/> without its keys).</summary>
    public readonly record struct Line(int Sequence, DateTimeOffset At, string Level, string Message);

    /// <summary>
    /// Stores the lines of one attempt: a line already stored (a redelivery) is kept as it was; lines past
    /// <see cref="AttemptLogLine.MaxLinesPerAttempt"/> or with a negative number are dropped; messages are cut at
    /// <see cref="AttemptLogLine.MaxMessageLength"/> characters and stripped of NUL characters, which PostgreSQL text refuses.
    /// </summary>
    public static async Task<int> AppendAsync(PlatformDbContext db, Guid experimentId, int attempt, IEnumerable<Line> lines, CancellationToken ct)
    {
        var kept = lines.Where(l => l.Sequence is >= 0 and < AttemptLogLine.MaxLinesPerAttempt)
            .DistinctBy(l => l.Sequence).ToList();
        if (kept.Count == 0) return 0;
        var seq = kept.Select(l => l.Sequence).ToArray();
        var at = kept.Select(l => l.At.ToUniversalTime()).ToArray();
        var level = kept.Select(l => Clean(l.Level, 16)).ToArray();
        var message = kept.Select(l => Clean(l.Message, AttemptLogLine.MaxMessageLength)).ToArray();
        return await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO attempt_log_lines (experiment_id, attempt_number, sequence, at, level, message)
            SELECT {experimentId}, {attempt}, u.s, u.a, u.l, u.m FROM unnest({seq}, {at}, {level}, {message}) AS u(s, a, l, m)
            ON CONFLICT (experiment_id, attempt_number, sequence) DO NOTHING
            """, ct);
    }

    /// <summary>
    /// A page of an attempt's log in order: lines after <paramref name="afterSequence"/> (−1: from the start), those
    /// containing <paramref name="contains"/> (case-insensitive; null: all) or of the given levels, at most <paramref name="limit"/>.
    /// </summary>
    public static Task<List<AttemptLogLine>> ReadAsync(PlatformDbContext db, Guid experimentId, int attempt, int afterSequence,
        string? contains, IReadOnlyCollection<string>? levels, int limit, CancellationToken ct)
    {
        var q = db.AttemptLogLines.AsNoTracking()
            .Where(l => l.ExperimentId == experimentId && l.AttemptNumber == attempt && l.Sequence > afterSequence);
        if (!string.IsNullOrEmpty(contains))
        {
            // The pattern is the literal text: LIKE's own wildcards in it are escaped.
            var pattern = "%" + contains.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%";
            q = q.Where(l => EF.Functions.ILike(l.Message, pattern, @"\"));
        }
        if (levels is { Count: > 0 }) q = q.Where(l => levels.Contains(l.Level));
        return q.OrderBy(l => l.Sequence).Take(Math.Clamp(limit, 1, MaxPage + 1)).ToListAsync(ct);
    }

    /// <summary>How many lines each attempt of an experiment has stored.</summary>
    public static Task<Dictionary<int, int>> CountsAsync(PlatformDbContext db, Guid experimentId, CancellationToken ct) =>
        db.AttemptLogLines.AsNoTracking().Where(l => l.ExperimentId == experimentId).GroupBy(l => l.AttemptNumber)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);

    private static string Clean(string? s, int max)
    {
        s ??= "";
        if (s.Contains('\0')) s = s.Replace("\0", "");
        return s.Length <= max ? s : s[..max];
    }
}
