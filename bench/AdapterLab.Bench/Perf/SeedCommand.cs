using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using AdapterLab.Contracts.Specs;
using AdapterLab.Data;
using AdapterLab.Data.Leaderboards;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace AdapterLab.Bench.Perf;

/// <summary>
/// <c>./platform bench seed [--experiments N] [--points M] [--reset]</c>: fills the platform database with a large,
/// realistic history for perf-query, with binary COPY (succeeded adapt experiments over a few methods, source domains and
/// seeds, one in twenty a vtagml multitask run; a training-loss curve each, final results), then rebuilds the leaderboards
/// through the platform's own projection. Seeded rows carry the tag <c>bench-seed</c> and pool <c>bench-seed</c>, so they
/// are never dispatched and <c>--reset</c> removes exactly them. Idempotent: an existing seed of at least the requested
/// size is kept.
/// </summary>
public static class SeedCommand
{
    public const string Tag = "bench-seed";
    private static readonly string[] MethodsSeeded = [Methods.AdaptFormer, Methods.Lora, Methods.LinearProbe, Methods.VptDeep, Methods.BitFit, Methods.FullFinetune];
    private static readonly string[] SourceDomains = ["synthetic", "textured", "noisy-photo"];
    /// <summary>One experiment in this many is a multitask (dense tasks) run, so task filters have something selective to find.</summary>
    public const int MultitaskEvery = 20;

    private static bool IsMultitask(int i) => i % MultitaskEvery == MultitaskEvery - 1;

    public static async Task<int> RunAsync(string[] args)
    {
        int experiments = Arg(args, "--experiments", 100_000);
        long points = ArgLong(args, "--points", 10_000_000);
        bool reset = args.Contains("--reset");
        var ct = CancellationToken.None;
        await using var conn = await PlatformEnv.OpenAsync(ct);
        if (reset || args.Contains("--force"))
        {
            Console.WriteLine("seed: removing earlier seeded rows");
            await Exec(conn, $"DELETE FROM metric_points WHERE experiment_id IN (SELECT id FROM experiments WHERE pool = '{Tag}')");
            await Exec(conn, $"DELETE FROM final_results WHERE experiment_id IN (SELECT id FROM experiments WHERE pool = '{Tag}')");
            await Exec(conn, $"DELETE FROM leaderboard_entries WHERE latest_experiment_id IN (SELECT id FROM experiments WHERE pool = '{Tag}')");
            await Exec(conn, $"DELETE FROM experiments WHERE pool = '{Tag}'");
            await using (var db = OpenDb())
                await LeaderboardProjection.RecountBoardsAsync(db, ct);
            if (reset) return 0;
        }
        long existing = (long)(await new NpgsqlCommand($"SELECT count(*) FROM experiments WHERE pool = '{Tag}'", conn).ExecuteScalarAsync(ct))!;
        if (existing >= experiments)
        {
            Console.WriteLine($"seed: {existing} seeded experiments already present (use --force to reseed)");
            await FillIntervalsAsync(conn);
            return 0;
        }
        if (existing > 0) await RunAsync([.. args.Where(a => a != "--force"), "--reset"]);

        int perExperiment = (int)Math.Max(1, points / experiments);
        Console.WriteLine($"seed: {experiments} experiments, {perExperiment} loss points each ({(long)experiments * perExperiment} points)");
        var clock = Stopwatch.StartNew();
        var rng = new Random(20251123);
        var ids = new Guid[experiments];
        var start = DateTimeOffset.UtcNow.AddDays(-365);
        var specJson = new Dictionary<(string, string, int), string>();

        await using (var w = await conn.BeginBinaryImportAsync(
            "COPY experiments (id, name, kind, method, preset, dataset, label_family, source_domain, target_domains, tasks, setting, seed, spec_json, spec_hash, configuration_hash, status, priority, pool, tags, submitted_at, updated_at, started_at, finished_at, attempt_count, step, total_steps, trainable_parameters, total_parameters, images_per_second, cancel_requested, training_failure_retries, configuration_version) FROM STDIN (FORMAT BINARY)", ct))
        {
            for (int i = 0; i < experiments; i++)
            {
                var id = ids[i] = Guid.CreateVersion7();
                bool multitask = IsMultitask(i);
                string method = multitask ? Methods.Vtagml : MethodsSeeded[i % MethodsSeeded.Length];
                int seed = 1 + (i / MethodsSeeded.Length) % 3;
                int config = i / (MethodsSeeded.Length * 3); // 3 seeds per configuration
                string source = SourceDomains[config % SourceDomains.Length];
                if (!specJson.TryGetValue((method, source, seed), out var json))
                    specJson[(method, source, seed)] = json = SpecJson.Serialize(Spec(method, source, seed));
                var submitted = start.AddSeconds(i * (365.0 * 86400 / experiments));
                await w.StartRowAsync(ct);
                await w.WriteAsync(id, NpgsqlDbType.Uuid, ct);
                await w.WriteAsync($"seed {method} config {config} seed {seed}", NpgsqlDbType.Text, ct);
                await w.WriteAsync(multitask ? Kinds.Multitask : Kinds.Adapt, NpgsqlDbType.Text, ct);
                await w.WriteAsync(method, NpgsqlDbType.Text, ct);
                await w.WriteAsync("vit-lab-s", NpgsqlDbType.Text, ct);
                await w.WriteAsync(Datasets.ShapesWorld, NpgsqlDbType.Text, ct);
                if (multitask) await w.WriteNullAsync(ct);
                else await w.WriteAsync("object-count", NpgsqlDbType.Text, ct);
                await w.WriteAsync(source, NpgsqlDbType.Text, ct);
                await w.WriteAsync(new[] { "fog" }, NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
                await w.WriteAsync(multitask ? MultitaskTasks : ["classification"], NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
                await w.WriteAsync(multitask ? Settings.Multitask : Settings.Supervised, NpgsqlDbType.Text, ct);
                await w.WriteAsync(seed, NpgsqlDbType.Integer, ct);
                await w.WriteAsync(json, NpgsqlDbType.Jsonb, ct);
                await w.WriteAsync(Hex(id.ToString()), NpgsqlDbType.Varchar, ct);
                await w.WriteAsync(Hex($"config {config} {method} {source}"), NpgsqlDbType.Varchar, ct);
                await w.WriteAsync("Succeeded", NpgsqlDbType.Varchar, ct);
                await w.WriteAsync(0, NpgsqlDbType.Integer, ct);
                await w.WriteAsync(Tag, NpgsqlDbType.Text, ct);
                await w.WriteAsync(new[] { Tag, $"config-{config % 1000}" }, NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
                await w.WriteAsync(submitted, NpgsqlDbType.TimestampTz, ct);
                await w.WriteAsync(submitted.AddMinutes(10), NpgsqlDbType.TimestampTz, ct);
                await w.WriteAsync(submitted.AddSeconds(2), NpgsqlDbType.TimestampTz, ct);
                await w.WriteAsync(submitted.AddMinutes(10), NpgsqlDbType.TimestampTz, ct);
                await w.WriteAsync(1, NpgsqlDbType.Integer, ct);
                await w.WriteAsync((long)perExperiment, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync((long)perExperiment, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(25_000L + i % 7, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(2_700_000L, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(100.0 + rng.NextDouble() * 50, NpgsqlDbType.Double, ct);
                await w.WriteAsync(false, NpgsqlDbType.Boolean, ct);
                await w.WriteAsync(0, NpgsqlDbType.Integer, ct);
                // Current: the seeded configuration hashes are the history's (three seeds each), not for the migrator's backfill to recompute.
                await w.WriteAsync(ConfigurationIdentity.Version, NpgsqlDbType.Integer, ct);
            }
            await w.CompleteAsync(ct);
        }
        Console.WriteLine($"seed: experiments in {clock.Elapsed.TotalSeconds:0.0} s");

        await using (var w = await conn.BeginBinaryImportAsync(
            "COPY final_results (experiment_id, split, task, domain, metric, value, attempt_number) FROM STDIN (FORMAT BINARY)", ct))
        {
            for (int i = 0; i < ids.Length; i++)
            {
                var id = ids[i];
                var (task, metric) = IsMultitask(i) ? ("segmentation", "miou") : ("classification", "accuracy");
                foreach (var split in new[] { "validation", "test" })
                {
                    foreach (var domain in new[] { "textured", "fog" })
                    {
                        await w.StartRowAsync(ct);
                        await w.WriteAsync(id, NpgsqlDbType.Uuid, ct);
                        await w.WriteAsync(split, NpgsqlDbType.Text, ct);
                        await w.WriteAsync(task, NpgsqlDbType.Text, ct);
                        await w.WriteAsync(domain, NpgsqlDbType.Text, ct);
                        await w.WriteAsync(metric, NpgsqlDbType.Text, ct);
                        await w.WriteAsync(0.5 + rng.NextDouble() * 0.4, NpgsqlDbType.Double, ct);
                        await w.WriteAsync(1, NpgsqlDbType.Integer, ct);
                    }
                }
            }
            await w.CompleteAsync(ct);
        }
        Console.WriteLine($"seed: final results in {clock.Elapsed.TotalSeconds:0.0} s");

        long written = 0;
        await using (var w = await conn.BeginBinaryImportAsync(
            "COPY metric_points (experiment_id, name, split, task, domain, step, attempt_number, value) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var id in ids)
            {
                double loss = 2.0 + rng.NextDouble() * 0.3;
                for (int s = 1; s <= perExperiment; s++)
                {
                    loss *= 0.995 + rng.NextDouble() * 0.004;
                    await w.StartRowAsync(ct);
                    await w.WriteAsync(id, NpgsqlDbType.Uuid, ct);
                    await w.WriteAsync("loss", NpgsqlDbType.Text, ct);
                    await w.WriteAsync("train", NpgsqlDbType.Text, ct);
                    await w.WriteAsync("classification", NpgsqlDbType.Text, ct);
                    await w.WriteAsync("textured", NpgsqlDbType.Text, ct);
                    await w.WriteAsync((long)s * 10, NpgsqlDbType.Bigint, ct);
                    await w.WriteAsync(1, NpgsqlDbType.Integer, ct);
                    await w.WriteAsync(loss, NpgsqlDbType.Double, ct);
                    if (++written % 1_000_000 == 0) Console.WriteLine($"seed: {written} points ({clock.Elapsed.TotalSeconds:0} s)");
                }
            }
            await w.CompleteAsync(ct);
        }
        // Boards are a projection the orchestrator maintains as experiments succeed; COPY bypasses it, so rebuild them
        // with the same SQL (every board, seeded or not).
        await using (var db = OpenDb())
        {
            db.Database.SetCommandTimeout(3600);
            await LeaderboardProjection.RebuildAsync(db, ct);
        }
        await FillIntervalsAsync(conn);
        Console.WriteLine($"seed: leaderboards rebuilt in {clock.Elapsed.TotalSeconds:0.0} s");
        // VACUUM sets the visibility map (index-only scans) as autovacuum would after a bulk load.
        await Exec(conn, "VACUUM ANALYZE experiments");
        await Exec(conn, "VACUUM ANALYZE metric_points");
        await Exec(conn, "VACUUM ANALYZE final_results");
        await Exec(conn, "VACUUM ANALYZE leaderboard_entries");
        Console.WriteLine($"seed: done in {clock.Elapsed.TotalSeconds:0.0} s ({experiments} experiments, {written} points)");
        return 0;
    }

    /// <summary>
    /// Rebuilt rows have no intervals. The platform's per-configuration refresh reads stored predictions, which seeded runs
    /// do not have, so it would give each entry its seed-only interval — what this one statement computes, with the
    /// library's t quantiles (seeded entries are all proportions: clamped to [0, 1]). Entries that have one are kept.
    /// </summary>
    private static async Task FillIntervalsAsync(NpgsqlConnection conn)
    {
        var quantiles = string.Join(", ", Enumerable.Range(2, 49).Select(n =>
            $"({n}, {AdapterLab.Statistics.Distributions.StudentTQuantile(0.975, n - 1).ToString("R", System.Globalization.CultureInfo.InvariantCulture)})"));
        await Exec(conn, $"""
            UPDATE leaderboard_entries x SET lower = greatest(0, x.mean - q.t * x.std / sqrt(x.seeds)), upper = least(1, x.mean + q.t * x.std / sqrt(x.seeds)),
                interval_method = 'SeedsOnly'
            FROM (VALUES {quantiles}) AS q(n, t) WHERE q.n = x.seeds AND x.lower IS NULL
            """);
        await Exec(conn, "UPDATE leaderboard_boards SET updated_at = now()"); // a new version of every board for caches of its bounds
        await Exec(conn, "VACUUM ANALYZE leaderboard_entries");
    }

    private static readonly string[] MultitaskTasks = ["segmentation", "depth"];

    private static ExperimentSpec Spec(string method, string source, int seed) => new()
    {
        Name = "seeded",
        Kind = method == Methods.Vtagml ? Kinds.Multitask : Kinds.Adapt,
        Backbone = new BackboneSpec { Preset = "vit-lab-s", Source = BackboneSources.Random },
        Method = new MethodSpec { Name = method },
        Tasks = method == Methods.Vtagml ? MultitaskTasks : ["classification"],
        Data = method == Methods.Vtagml
            ? new DataSpec { SourceDomain = source, TargetDomains = ["fog"], Setting = Settings.Multitask }
            : new DataSpec { LabelFamily = "object-count", SourceDomain = source, TargetDomains = ["fog"] },
        Training = new TrainingSpec { Steps = 1000, BatchSize = 64, Seed = seed },
        Tags = [Tag],
        Resources = new ResourcesSpec { Pool = Tag },
    };

    private static PlatformDbContext OpenDb()
    {
        var options = new DbContextOptionsBuilder<PlatformDbContext>();
        DataServiceCollectionExtensions.Configure(options, PlatformEnv.RequireDatabase());
        return new PlatformDbContext(options.Options);
    }

    private static string Hex(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    private static async Task Exec(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 3600 };
        await cmd.ExecuteNonQueryAsync();
    }

    private static long ArgLong(string[] args, string name, long fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? long.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }
}
