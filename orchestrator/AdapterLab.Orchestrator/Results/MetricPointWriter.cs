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
        var unique = points.DistinctBy(p => (p.Name, p.Split, p.Task, p.Domain, p.Step)).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO metric_points (experiment_id, name, split, task, domain, step, attempt_number, value)
            SELECT @e, n, s, t, d, st, @a, v FROM unnest(@names, @splits, @tasks, @domains, @steps, @values) AS u(n, s, t, d, st, v)
            ON CONFLICT (experiment_id, name, split, task, domain, step)
            DO UPDATE SET value = excluded.value, attempt_number = excluded.attempt_number
            WHERE metric_points.attempt_number < excluded.attempt_number
            """, conn);
        cmd.Parameters.AddWithValue("e", experimentId);
        cmd.Parameters.AddWithValue("a", attemptNumber);
        cmd.Parameters.Add(new NpgsqlParameter("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = unique.Select(p => p.Name).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("splits", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = unique.Select(p => p.Split).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("tasks", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = unique.Select(p => p.Task).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("domains", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = unique.Select(p => p.Domain).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("steps", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = unique.Select(p => p.Step).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("values", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = unique.Select(p => p.Value).ToArray() });
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
