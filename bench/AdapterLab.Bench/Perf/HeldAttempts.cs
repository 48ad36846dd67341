using Npgsql;
using NpgsqlTypes;

namespace AdapterLab.Bench.Perf;

/// <summary>
/// Running experiments written straight into the platform database, each with a current attempt 1 held by a named agent
/// (lease a day out, a pool no agent serves): what a perf scenario needs for the orchestrator's sender check and fence
/// to accept its simulated agent's reports, or for the blob endpoints to serve that agent's token. Removed afterwards.
/// </summary>
public static class HeldAttempts
{
    /// <summary>One experiment per agent id, attempt 1 held by it; their ids, in order.</summary>
    public static async Task<Guid[]> CreateAsync(IReadOnlyList<string> agentIds, string pool, CancellationToken ct)
    {
        var ids = agentIds.Select(_ => Guid.CreateVersion7()).ToArray();
        await using var conn = await PlatformEnv.OpenAsync(ct);
        var spec = AdapterLab.Contracts.Specs.SpecJson.Serialize(new AdapterLab.Contracts.Specs.ExperimentSpec
        {
            Name = $"bench: {pool}", Kind = "adapt",
            Backbone = new AdapterLab.Contracts.Specs.BackboneSpec { Preset = "vit-lab-s", Source = "random" },
            Method = new AdapterLab.Contracts.Specs.MethodSpec { Name = "adaptformer" },
            Data = new AdapterLab.Contracts.Specs.DataSpec { LabelFamily = "object-count", SourceDomain = "synthetic" },
            Resources = new AdapterLab.Contracts.Specs.ResourcesSpec { Pool = pool },
        });
        foreach (var (id, agent) in ids.Zip(agentIds))
        {
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO experiments (id, name, kind, method, preset, dataset, label_family, source_domain, target_domains, tasks, setting, seed, spec_json, spec_hash, configuration_hash, status, priority, pool, tags, submitted_at, updated_at, started_at, attempt_count, step, total_steps, trainable_parameters, total_parameters, cancel_requested, training_failure_retries)
                VALUES (@id, @name, 'adapt', 'adaptformer', 'vit-lab-s', 'shapesworld', 'object-count', 'synthetic', '{}', '{classification}', 'single-task', 1, @spec, md5(@id::text), md5(@id::text), 'Running', 0, @pool, ARRAY['bench', @pool], now(), now(), now(), 1, 0, 0, 0, 0, false, 0);
                INSERT INTO attempts (experiment_id, number, agent_id, status, dispatched_at, started_at, lease_expires_at, step, start_step)
                VALUES (@id, 1, @agent, 'Running', now(), now(), now() + interval '1 day', 0, 0);
                """, conn);
            cmd.Parameters.AddWithValue("id", id);
            cmd.Parameters.AddWithValue("name", $"bench: {pool}");
            cmd.Parameters.AddWithValue("pool", pool);
            cmd.Parameters.AddWithValue("agent", agent);
            cmd.Parameters.Add(new NpgsqlParameter("spec", NpgsqlDbType.Jsonb) { Value = spec });
            await cmd.ExecuteNonQueryAsync(ct);
        }
        return ids;
    }

    /// <summary>Removes benchmark experiments and everything recorded about them (attempts, transitions, points, results, refusals).</summary>
    public static Task RemoveAsync(Guid[] ids, CancellationToken ct) =>
        PlatformEnv.ExecAsync("""
            DELETE FROM metric_points WHERE experiment_id = ANY(@ids);
            DELETE FROM final_results WHERE experiment_id = ANY(@ids);
            DELETE FROM checkpoints WHERE experiment_id = ANY(@ids);
            DELETE FROM refused_messages WHERE experiment_id = ANY(@ids);
            DELETE FROM attempts WHERE experiment_id = ANY(@ids);
            DELETE FROM state_transitions WHERE experiment_id = ANY(@ids);
            DELETE FROM experiments WHERE id = ANY(@ids);
            """, ct, ("ids", ids));
}
