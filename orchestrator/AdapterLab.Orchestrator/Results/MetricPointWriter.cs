using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace AdapterLab.Orchestrator.Results;

/// <summary>
/// Writes a batch of metric points in one statement (arrays unnested server-side). The primary key makes a redelivered
/// batch a no-op; a point re-measured by a later attempt (after a resume) replaces the earlier attempt's value.
/// </summary>
public sealed class MetricPointWriter(IDbContextFactory<PlatformDbContext> dbFactory)
{
    public async Task WriteAsync(Guid experimentId, int attemptNumber, IReadOnlyList<MetricPoint> points, CancellationToken ct)
    {
        if (points.Count == 0) return;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        await conn.OpenAsync(ct);
        await using var cmd = PointsCommand(experimentId, attemptNumber, points);
        cmd.Connection = conn;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// A progress report in one round trip (one implicit transaction): its points, then the experiment's and the
    /// attempt's step counters. Measured by bench perf-ingest: three statements that used to be three round trips.
    /// </summary>
    public async Task WriteProgressAsync(AttemptProgressed m, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        await conn.OpenAsync(ct);
        await using var batch = new NpgsqlBatch(conn);
        if (m.Points.Count > 0)
        {
            await using var points = PointsCommand(m.ExperimentId, m.AttemptNumber, m.Points);
            var c = new NpgsqlBatchCommand(points.CommandText);
            foreach (NpgsqlParameter p in points.Parameters) c.Parameters.Add(p.Clone());
            batch.BatchCommands.Add(c);
        }
        var experiment = new NpgsqlBatchCommand("""
            UPDATE experiments SET step = GREATEST(step, @step), total_steps = @total,
                images_per_second = COALESCE(@ips, images_per_second), peak_memory_bytes = COALESCE(@peak, peak_memory_bytes)
            WHERE id = @e AND attempt_count = @a
            """);
        experiment.Parameters.AddWithValue("step", m.Step);
        experiment.Parameters.AddWithValue("total", m.TotalSteps);
        experiment.Parameters.Add(new NpgsqlParameter("ips", NpgsqlDbType.Double) { Value = (object?)m.ImagesPerSecond ?? DBNull.Value });
        experiment.Parameters.Add(new NpgsqlParameter("peak", NpgsqlDbType.Bigint) { Value = (object?)m.PeakMemoryBytes ?? DBNull.Value });
        experiment.Parameters.AddWithValue("e", m.ExperimentId);
        experiment.Parameters.AddWithValue("a", m.AttemptNumber);
        batch.BatchCommands.Add(experiment);
        var attempt = new NpgsqlBatchCommand("UPDATE attempts SET step = GREATEST(step, @step) WHERE experiment_id = @e AND number = @a");
        attempt.Parameters.AddWithValue("step", m.Step);
        attempt.Parameters.AddWithValue("e", m.ExperimentId);
        attempt.Parameters.AddWithValue("a", m.AttemptNumber);
        batch.BatchCommands.Add(attempt);
        await batch.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlCommand PointsCommand(Guid experimentId, int attemptNumber, IReadOnlyList<MetricPoint> points)
    {
        var unique = points.DistinctBy(p => (p.Name, p.Split, p.Task, p.Domain, p.Step)).ToList();
        var cmd = new NpgsqlCommand("""
            INSERT INTO metric_points (experiment_id, name, split, task, domain, step, attempt_number, value)
            SELECT @e, n, s, t, d, st, @a, v FROM unnest(@names, @splits, @tasks, @domains, @steps, @values) AS u(n, s, t, d, st, v)
            ON CONFLICT (experiment_id, name, split, task, domain, step)
            DO UPDATE SET value = excluded.value, attempt_number = excluded.attempt_number
            WHERE metric_points.attempt_number < excluded.attempt_number
            """);
        cmd.Parameters.AddWithValue("e", experimentId);
        cmd.Parameters.AddWithValue("a", attemptNumber);
        cmd.Parameters.Add(new NpgsqlParameter("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = unique.Select(p => p.Name).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("splits", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = unique.Select(p => p.Split).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("tasks", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = unique.Select(p => p.Task).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("domains", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = unique.Select(p => p.Domain).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("steps", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = unique.Select(p => p.Step).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("values", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = unique.Select(p => p.Value).ToArray() });
        return cmd;
    }
}
