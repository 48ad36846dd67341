using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace AdapterLab.Orchestrator.Results;

/// <summary>
/// Persists progress reports with group commit (<see cref="AdapterLab.Orchestrator.Storage.GroupCommitWriter{TMessage, TResult}"/>):
/// whatever reports have arrived since the last write are stored in one statement: the attempt fence, every metric point (one
/// multi-row insert; the primary key makes a redelivered point a no-op, and a point re-measured by a later attempt
/// replaces the earlier attempt's value) and the experiments' and attempts' step counters. Measured by bench perf-ingest.
/// </summary>
public sealed class MetricPointWriter(IDbContextFactory<PlatformDbContext> dbFactory, ILogger<MetricPointWriter> log)
    : AdapterLab.Orchestrator.Storage.GroupCommitWriter<AttemptProgressed, ExperimentStatusChanged?>(log)
{
    /// <summary>A batch stops growing at this many points (one statement stays a few MiB at most).</summary>
    public const int MaxPointsPerBatch = 20_000;

    protected override int MaxWeight => MaxPointsPerBatch;

    protected override int Weight(AttemptProgressed message) => message.Points.Count;

    /// <summary>
    /// Stores one progress report (with whatever else is waiting). Returns the news to publish for its experiment, or
    /// null: the report was fenced off (a superseded or lost attempt), the experiment has ended, or a later report of the
    /// same batch carries the news.
    /// </summary>
    public Task<ExperimentStatusChanged?> WriteProgressAsync(AttemptProgressed message, CancellationToken ct) => EnqueueAsync(message, ct);

    /// <summary>
    /// Stores a batch of reports in one statement (all or nothing); returns each report's news (see
    /// <see cref="WriteProgressAsync"/>). Duplicates within the batch and across batches are harmless.
    /// </summary>
    public override async Task<ExperimentStatusChanged?[]> WriteAsync(IReadOnlyList<AttemptProgressed> batch, CancellationToken ct)
    {
        // A key may occur once per statement (ON CONFLICT cannot touch a row twice): a point reported twice in the
        // batch (a redelivery) is sent once, the first time, as a stored point is kept against a repeat from its own
        // attempt; of two attempts' values the later attempt's (the earlier attempt is fenced off anyway).
        var points = new Dictionary<(Guid, string, string, string, string, long), (int Attempt, double Value)>();
        foreach (var m in batch)
            foreach (var p in m.Points)
            {
                var key = (m.ExperimentId, p.Name, p.Split, p.Task, p.Domain, p.Step);
                if (!points.TryGetValue(key, out var had) || had.Attempt < m.AttemptNumber) points[key] = (m.AttemptNumber, p.Value);
            }
        // Step counters per (experiment, attempt): the furthest step, with its total and the latest throughput figures.
        var steps = new Dictionary<(Guid, int), AttemptProgressed>();
        foreach (var m in batch)
        {
            var key = (m.ExperimentId, m.AttemptNumber);
            if (!steps.TryGetValue(key, out var had)) { steps[key] = m; continue; }
            steps[key] = had with
            {
                Step = Math.Max(had.Step, m.Step),
                TotalSteps = m.Step >= had.Step ? m.TotalSteps : had.TotalSteps,
                ImagesPerSecond = m.ImagesPerSecond ?? had.ImagesPerSecond,
                PeakMemoryBytes = m.PeakMemoryBytes ?? had.PeakMemoryBytes,
            };
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        await conn.OpenAsync(ct);
        // The fence (current attempt, not declared lost) is part of the statement, so no report of a lost attempt can
        // slip in between a check and the write.
        await using var cmd = new NpgsqlCommand("""
            WITH live AS (
                SELECT x.id, x.attempt_count FROM experiments x
                JOIN attempts t ON t.experiment_id = x.id AND t.number = x.attempt_count
                WHERE x.id = ANY(@experiments) AND t.status <> 'Lost'
            ),
            points AS (
                INSERT INTO metric_points (experiment_id, name, split, task, domain, step, attempt_number, value)
                SELECT u.e, u.n, u.s, u.t, u.d, u.st, u.a, u.v
                FROM unnest(@pe, @pa, @pn, @ps, @pt, @pd, @pst, @pv) AS u(e, a, n, s, t, d, st, v)
                JOIN live l ON l.id = u.e AND l.attempt_count = u.a
                ON CONFLICT (experiment_id, name, split, task, domain, step)
                DO UPDATE SET value = excluded.value, attempt_number = excluded.attempt_number
                WHERE metric_points.attempt_number < excluded.attempt_number
            ),
            steps AS (
                SELECT u.e, u.a, u.step, u.total, u.ips, u.peak
                FROM unnest(@se, @sa, @sstep, @stotal, @sips, @speak) AS u(e, a, step, total, ips, peak)
                JOIN live l ON l.id = u.e AND l.attempt_count = u.a
            ),
            attempt_steps AS (
                UPDATE attempts t SET step = GREATEST(t.step, s.step) FROM steps s WHERE t.experiment_id = s.e AND t.number = s.a
            )
            UPDATE experiments x SET step = GREATEST(x.step, s.step), total_steps = s.total,
                images_per_second = COALESCE(s.ips, x.images_per_second), peak_memory_bytes = COALESCE(s.peak, x.peak_memory_bytes)
            FROM steps s WHERE x.id = s.e
            RETURNING x.id, x.attempt_count, x.status, x.step, x.total_steps
            """, conn);
        cmd.Parameters.Add(ArrayParameter("experiments", NpgsqlDbType.Uuid, steps.Keys.Select(k => k.Item1).Distinct().ToArray()));
        cmd.Parameters.Add(ArrayParameter("pe", NpgsqlDbType.Uuid, points.Keys.Select(k => k.Item1).ToArray()));
        cmd.Parameters.Add(ArrayParameter("pa", NpgsqlDbType.Integer, points.Values.Select(v => v.Attempt).ToArray()));
        cmd.Parameters.Add(ArrayParameter("pn", NpgsqlDbType.Text, points.Keys.Select(k => k.Item2).ToArray()));
        cmd.Parameters.Add(ArrayParameter("ps", NpgsqlDbType.Text, points.Keys.Select(k => k.Item3).ToArray()));
        cmd.Parameters.Add(ArrayParameter("pt", NpgsqlDbType.Text, points.Keys.Select(k => k.Item4).ToArray()));
        cmd.Parameters.Add(ArrayParameter("pd", NpgsqlDbType.Text, points.Keys.Select(k => k.Item5).ToArray()));
        cmd.Parameters.Add(ArrayParameter("pst", NpgsqlDbType.Bigint, points.Keys.Select(k => k.Item6).ToArray()));
        cmd.Parameters.Add(ArrayParameter("pv", NpgsqlDbType.Double, points.Values.Select(v => v.Value).ToArray()));
        var s = steps.Values.ToList();
        cmd.Parameters.Add(ArrayParameter("se", NpgsqlDbType.Uuid, s.Select(m => m.ExperimentId).ToArray()));
        cmd.Parameters.Add(ArrayParameter("sa", NpgsqlDbType.Integer, s.Select(m => m.AttemptNumber).ToArray()));
        cmd.Parameters.Add(ArrayParameter("sstep", NpgsqlDbType.Bigint, s.Select(m => m.Step).ToArray()));
        cmd.Parameters.Add(ArrayParameter("stotal", NpgsqlDbType.Bigint, s.Select(m => m.TotalSteps).ToArray()));
        cmd.Parameters.Add(ArrayParameter("sips", NpgsqlDbType.Double, s.Select(m => m.ImagesPerSecond).ToArray()));
        cmd.Parameters.Add(ArrayParameter("speak", NpgsqlDbType.Bigint, s.Select(m => m.PeakMemoryBytes).ToArray()));

        var current = new Dictionary<Guid, (int Attempt, ExperimentStatusChanged? News)>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var id = reader.GetGuid(0);
                var status = Enum.Parse<ExperimentStatus>(reader.GetString(2));
                var news = new ExperimentStatusChanged { ExperimentId = id, Status = status.ToString(), Step = reader.GetInt64(3), TotalSteps = reader.GetInt64(4) };
                current[id] = (reader.GetInt32(1), status.IsTerminal() ? null : news);
            }
        }

        // The news goes with the batch's last report of each experiment's current attempt.
        var result = new ExperimentStatusChanged?[batch.Count];
        var seen = new HashSet<Guid>();
        for (int i = batch.Count - 1; i >= 0; i--)
        {
            var m = batch[i];
            if (current.TryGetValue(m.ExperimentId, out var c) && c.Attempt == m.AttemptNumber && c.News is not null && seen.Add(m.ExperimentId))
                result[i] = c.News;
        }
        return result;
    }

    private static NpgsqlParameter ArrayParameter<T>(string name, NpgsqlDbType type, T[] values) =>
        new(name, NpgsqlDbType.Array | type) { Value = values };
}
