namespace AdapterLab.Bench.Perf;

/// <summary>
/// A long queue written straight into the platform database: queued experiments in a pool no agent serves, at a higher
/// priority than the probes (every dispatch pass reads past them), submitted one millisecond apart. Seconds for 100,000
/// rows where the API would take minutes; the dispatcher cannot tell them from submitted ones (it reads the table).
/// </summary>
public static class QueuedBacklog
{
    public static async Task AddAsync(string pool, int count, CancellationToken ct)
    {
        var spec = AdapterLab.Contracts.Specs.SpecJson.Serialize(new AdapterLab.Contracts.Specs.ExperimentSpec
        {
            Name = $"bench: backlog in {pool}", Kind = "pretrain",
            Backbone = new AdapterLab.Contracts.Specs.BackboneSpec { Preset = "vit-tiny-ci", Source = "random" },
            Method = new AdapterLab.Contracts.Specs.MethodSpec { Name = "supervised" },
            Data = new AdapterLab.Contracts.Specs.DataSpec { LabelFamily = "largest-shape", SourceDomain = "synthetic" },
            Resources = new AdapterLab.Contracts.Specs.ResourcesSpec { Pool = pool },
        });
        await PlatformEnv.ExecAsync("""
            INSERT INTO experiments (id, name, kind, method, preset, dataset, label_family, source_domain, target_domains, tasks, setting, seed, spec_json, spec_hash, configuration_hash, status, priority, pool, tags, submitted_at, updated_at, attempt_count, step, total_steps, trainable_parameters, total_parameters, cancel_requested, training_failure_retries)
            SELECT gen_random_uuid(), 'bench: backlog', 'pretrain', 'supervised', 'vit-tiny-ci', 'shapesworld', 'largest-shape', 'synthetic', '{}', '{classification}', 'single-task', i, @spec::jsonb, md5(i::text), md5(i::text), 'Queued', 10, @pool, ARRAY['bench', 'backlog'], now() - make_interval(secs => (@count - i) / 1000.0), now(), 0, 0, 0, 0, 0, false, 0
            FROM generate_series(1, @count) AS i
            """, ct, ("spec", spec), ("pool", pool), ("count", count));
        // Statistics as autovacuum leaves them after a load like this (a queue that grew through the API over minutes):
        // measured right after a one-statement insert, the planner would read 100,000 rows with the statistics of 1,000
        // or not, depending on when autoanalyze happens to run — a dispatch pass of 30 or of 340 ms.
        await PlatformEnv.ExecAsync("VACUUM ANALYZE experiments", ct);
    }

    /// <summary>Deletes the backlog and vacuums: a hundred thousand dead rows in the queue's index would slow the next run's passes.</summary>
    public static async Task RemoveAsync(string pool, CancellationToken ct)
    {
        await PlatformEnv.ExecAsync("""
            DELETE FROM state_transitions WHERE experiment_id IN (SELECT id FROM experiments WHERE pool = @pool AND 'backlog' = ANY(tags));
            DELETE FROM experiments WHERE pool = @pool AND 'backlog' = ANY(tags);
            """, ct, ("pool", pool));
        await PlatformEnv.ExecAsync("VACUUM ANALYZE experiments", ct);
    }
}
