using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace AdapterLab.Orchestrator.Fleet;

/// <summary>
/// The fleet's chatter, stored in groups: every agent announces itself every few seconds, listing the attempts it runs —
/// the announcement is their heartbeat (a draining agent, which stops announcing, heartbeats each attempt on its own) —
/// so a thousand agents send a couple of hundred messages a second. The fleet queue's consumer
/// (<see cref="FleetIngest"/>) hands over whatever has arrived since its last write, and it is stored in four
/// statements — the attempts' leases (fenced: only Dispatched or Running attempts, and only those the reporting agent
/// holds: an agent's own announcement cannot keep another agent's attempt alive), the heartbeating agents' last-seen
/// times, the announcements (an upsert; an older announcement never overwrites a newer one, and one sent before the
/// agent's stop notice does not revive it) and the check of the attempts the announcing agents say they run — whatever
/// the batch size, in one round trip. Measured by bench perf-fleet.
/// </summary>
public sealed class FleetReportWriter(IDbContextFactory<PlatformDbContext> dbFactory, IOptions<OrchestratorOptions> options, TimeProvider clock)
{
    /// <summary>The most messages one write takes.</summary>
    public const int MaxBatch = 5_000;

    /// <summary>
    /// What an announcement changed: whether it brought capacity the dispatcher has not seen (a new agent, one back from
    /// stopped or stale, or more free slots than it last reported), and the attempts it says it runs that have moved on
    /// without it (to be cancelled there).
    /// </summary>
    public sealed record AnnouncementOutcome(bool NewCapacity, IReadOnlyList<RunningAttempt> Superseded)
    {
        public static readonly AnnouncementOutcome Nothing = new(false, []);
    }

    /// <summary>Stores a batch of heartbeats and announcements; each message's outcome (heartbeats': nothing).</summary>
    public async Task<AnnouncementOutcome[]> WriteAsync(IReadOnlyList<object> batch, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var o = options.Value;
        var result = new AnnouncementOutcome[batch.Count];
        System.Array.Fill(result, AnnouncementOutcome.Nothing);

        // Heartbeats (an attempt's own, or its line in its agent's announcement): one row per attempt and reporting agent
        // (its furthest step), one per agent.
        var beats = new Dictionary<(Guid Experiment, int Attempt, string Agent), long>();
        void Beat(Guid experiment, int attempt, string agent, long step) =>
            beats[(experiment, attempt, agent)] = Math.Max(beats.GetValueOrDefault((experiment, attempt, agent)), step);
        var beating = new HashSet<string>(StringComparer.Ordinal);
        // Announcements: each agent's latest (a key may occur once per upsert).
        var latest = new Dictionary<string, AgentAnnounced>(StringComparer.Ordinal);
        foreach (var m in batch)
        {
            if (m is AttemptHeartbeat h)
            {
                Beat(h.ExperimentId, h.AttemptNumber, h.AgentId, h.Step);
                beating.Add(h.AgentId);
            }
            else if (m is AgentAnnounced a)
            {
                foreach (var r in a.Running) Beat(r.ExperimentId, r.AttemptNumber, a.AgentId, r.Step);
                if (!latest.TryGetValue(a.AgentId, out var had) || had.SentAt <= a.SentAt) latest[a.AgentId] = a;
            }
        }

        var announced = latest.Values.ToList();
        var running = announced.SelectMany(a => a.Running.Select(r => (Agent: a.AgentId, Run: r))).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        await conn.OpenAsync(ct);
        // Every statement in one round trip (one implicit transaction): a write is a wake-up and a reply, whatever it holds.
        await using var write = new NpgsqlBatch(conn);
        if (beats.Count > 0)
        {
            var keys = beats.Keys.ToList();
            write.BatchCommands.Add(Statement("""
                UPDATE attempts t SET lease_expires_at = GREATEST(t.lease_expires_at, @lease), last_heartbeat_at = @now, step = GREATEST(t.step, u.step)
                FROM unnest(@e, @n, @s, @holder) AS u(e, n, step, holder)
                WHERE t.experiment_id = u.e AND t.number = u.n AND t.agent_id = u.holder AND t.status IN ('Dispatched', 'Running')
                """,
                new("lease", now + o.Lease), new("now", now),
                Array("e", NpgsqlDbType.Uuid, keys.Select(k => k.Experiment).ToArray()),
                Array("n", NpgsqlDbType.Integer, keys.Select(k => k.Attempt).ToArray()),
                Array("s", NpgsqlDbType.Bigint, keys.Select(k => beats[k]).ToArray()),
                Array("holder", NpgsqlDbType.Text, keys.Select(k => k.Agent).ToArray())));
            if (beating.Count > 0)
                write.BatchCommands.Add(Statement("UPDATE agents SET last_seen_at = GREATEST(last_seen_at, @now) WHERE id = ANY(@agents)",
                    new("now", now), Array("agents", NpgsqlDbType.Text, beating.ToArray())));
        }
        if (announced.Count > 0)
            write.BatchCommands.Add(Statement("""
                WITH u AS (
                    SELECT * FROM unnest(@id, @pool, @device, @device_name, @memory, @host, @queue, @slots, @free, @version, @sent)
                        AS u(id, pool, device, device_name, memory, host, queue, slots, free, version, sent)
                ),
                old AS (SELECT a.id, a.stopped, a.last_seen_at, a.reported_free_slots FROM agents a JOIN u ON u.id = a.id),
                up AS (
                    INSERT INTO agents (id, pool, device, device_name, device_memory_bytes, host, queue_name, slots, reported_free_slots, version, first_seen_at, last_seen_at, stopped, consecutive_failures, quarantined)
                    SELECT id, pool, device, device_name, memory, host, queue, slots, free, version, sent, sent, false, 0, false FROM u
                    ON CONFLICT (id) DO UPDATE SET pool = excluded.pool, device = excluded.device, device_name = excluded.device_name,
                        device_memory_bytes = excluded.device_memory_bytes, host = excluded.host,
                        queue_name = excluded.queue_name, slots = excluded.slots, reported_free_slots = excluded.reported_free_slots,
                        version = excluded.version, last_seen_at = excluded.last_seen_at,
                        stopped = COALESCE(agents.stopped AND agents.stopped_at >= excluded.last_seen_at, false)
                    WHERE agents.last_seen_at <= excluded.last_seen_at
                    RETURNING id, stopped
                )
                SELECT u.id FROM u JOIN up ON up.id = u.id LEFT JOIN old ON old.id = u.id
                WHERE u.free > 0 AND NOT up.stopped AND (old.id IS NULL OR old.stopped OR old.last_seen_at < @stale OR old.reported_free_slots < u.free)
                """,
                Array("id", NpgsqlDbType.Text, announced.Select(a => a.AgentId).ToArray()),
                Array("pool", NpgsqlDbType.Text, announced.Select(a => a.Pool).ToArray()),
                Array("device", NpgsqlDbType.Text, announced.Select(a => a.Device).ToArray()),
                Array("device_name", NpgsqlDbType.Text, announced.Select(a => a.DeviceName).ToArray()),
                Array("memory", NpgsqlDbType.Bigint, announced.Select(a => a.DeviceMemoryBytes).ToArray()),
                Array("host", NpgsqlDbType.Text, announced.Select(a => a.Host).ToArray()),
                Array("queue", NpgsqlDbType.Text, announced.Select(a => a.QueueName).ToArray()),
                Array("slots", NpgsqlDbType.Integer, announced.Select(a => a.Slots).ToArray()),
                Array("free", NpgsqlDbType.Integer, announced.Select(a => a.FreeSlots).ToArray()),
                Array("version", NpgsqlDbType.Text, announced.Select(a => a.Version).ToArray()),
                Array("sent", NpgsqlDbType.TimestampTz, announced.Select(a => a.SentAt.ToUniversalTime()).ToArray()),
                new("stale", now - o.AgentStaleAfter)));
        // An agent still running an attempt that was declared lost (it was cut off, not dead) or that has otherwise moved
        // on is told to stop it: the experiment has moved on, and the slot is needed.
        if (running.Count > 0)
            write.BatchCommands.Add(Statement("""
                SELECT r.e, r.n, r.agent FROM unnest(@e, @n, @agent) AS r(e, n, agent)
                LEFT JOIN attempts a ON a.experiment_id = r.e AND a.number = r.n
                LEFT JOIN experiments x ON x.id = r.e
                WHERE a.experiment_id IS NULL OR x.attempt_count <> r.n OR a.agent_id <> r.agent
                   OR a.status IN ('Lost', 'Failed', 'Succeeded', 'Cancelled')
                """,
                Array("e", NpgsqlDbType.Uuid, running.Select(r => r.Run.ExperimentId).ToArray()),
                Array("n", NpgsqlDbType.Integer, running.Select(r => r.Run.AttemptNumber).ToArray()),
                Array("agent", NpgsqlDbType.Text, running.Select(r => r.Agent).ToArray())));
        if (write.BatchCommands.Count == 0) return result;

        // The queries' rows, in order (the updates return none): the announcers with new capacity, then the superseded attempts.
        var capacity = new HashSet<string>(StringComparer.Ordinal);
        var superseded = new HashSet<(Guid, int, string)>();
        await using (var reader = await write.ExecuteReaderAsync(ct))
        {
            if (announced.Count > 0)
            {
                while (await reader.ReadAsync(ct)) capacity.Add(reader.GetString(0));
                await reader.NextResultAsync(ct);
            }
            if (running.Count > 0)
                while (await reader.ReadAsync(ct)) superseded.Add((reader.GetGuid(0), reader.GetInt32(1), reader.GetString(2)));
        }
        if (announced.Count == 0) return result;

        // The outcome goes with the agent's latest announcement of the batch; an older one of the same batch changed nothing.
        for (int i = 0; i < batch.Count; i++)
        {
            if (batch[i] is not AgentAnnounced a || !ReferenceEquals(latest[a.AgentId], a)) continue;
            var gone = a.Running.Where(r => superseded.Contains((r.ExperimentId, r.AttemptNumber, a.AgentId))).ToList();
            result[i] = new AnnouncementOutcome(capacity.Contains(a.AgentId), gone);
        }
        return result;
    }

    private static NpgsqlBatchCommand Statement(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter Array<T>(string name, NpgsqlDbType type, T[] values) =>
        new(name, NpgsqlDbType.Array | type) { Value = values };
}
