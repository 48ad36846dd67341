using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using AdapterLab.Contracts.Specs;
using Npgsql;
using NpgsqlTypes;

namespace AdapterLab.Bench.Perf;

/// <summary>
/// <c>./platform bench seed [--experiments N] [--points M] [--reset]</c>: fills the platform database with a large,
/// realistic history for perf-query, with binary COPY (succeeded adapt experiments over a few methods, presets and seeds,
/// a training-loss curve each, final accuracies). Seeded rows carry the tag <c>bench-seed</c> and pool
/// <c>bench-seed</c>, so they are never dispatched and <c>--reset</c> removes exactly them. Idempotent: an existing seed
/// of at least the requested size is kept.
/// </summary>
public static class SeedCommand
{
    public const string Tag = "bench-seed";
    private static readonly string[] MethodsSeeded = [Methods.AdaptFormer, Methods.Lora, Methods.LinearProbe, Methods.VptDeep, Methods.BitFit, Methods.FullFinetune];
    private static readonly string[] Domains = ["synthetic", "textured", "fog"];

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
            await Exec(conn, $"DELETE FROM experiments WHERE pool = '{Tag}'");
            if (reset) return 0;
        }
        long existing = (long)(await new NpgsqlCommand($"SELECT count(*) FROM experiments WHERE pool = '{Tag}'", conn).ExecuteScalarAsync(ct))!;
        if (existing >= experiments)
        {
            Console.WriteLine($"seed: {existing} seeded experiments already present (use --force to reseed)");
            return 0;
        }
        if (existing > 0) await RunAsync([.. args.Where(a => a != "--force"), "--reset"]);

        int perExperiment = (int)Math.Max(1, points / experiments);
        Console.WriteLine($"seed: {experiments} experiments, {perExperiment} loss points each ({(long)experiments * perExperiment} points)");
        var clock = Stopwatch.StartNew();
        var rng = new Random(20251123);
        var ids = new Guid[experiments];
        var start = DateTimeOffset.UtcNow.AddDays(-365);
        var specJson = new Dictionary<(string, int), string>();

        await using (var w = await conn.BeginBinaryImportAsync(
            "COPY experiments (id, name, kind, method, preset, dataset, label_family, source_domain, target_domains, tasks, setting, seed, spec_json, spec_hash, configuration_hash, status, priority, pool, tags, submitted_at, updated_at, started_at, finished_at, attempt_count, step, total_steps, trainable_parameters, total_parameters, images_per_second, cancel_requested, training_failure_retries) FROM STDIN (FORMAT BINARY)", ct))
        {
            for (int i = 0; i < experiments; i++)
            {
                var id = ids[i] = Guid.CreateVersion7();
                string method = MethodsSeeded[i % MethodsSeeded.Length];
                int seed = 1 + (i / MethodsSeeded.Length) % 3;
                int config = i / (MethodsSeeded.Length * 3); // 3 seeds per configuration
                if (!specJson.TryGetValue((method, seed), out var json))
                    specJson[(method, seed)] = json = SpecJson.Serialize(Spec(method, seed));
                var submitted = start.AddSeconds(i * (365.0 * 86400 / experiments));
                await w.StartRowAsync(ct);
                await w.WriteAsync(id, NpgsqlDbType.Uuid, ct);
                await w.WriteAsync($"seed {method} config {config} seed {seed}", NpgsqlDbType.Text, ct);
                await w.WriteAsync(Kinds.Adapt, NpgsqlDbType.Text, ct);
                await w.WriteAsync(method, NpgsqlDbType.Text, ct);
                await w.WriteAsync("vit-lab-s", NpgsqlDbType.Text, ct);
                await w.WriteAsync(Datasets.ShapesWorld, NpgsqlDbType.Text, ct);
                await w.WriteAsync("object-count", NpgsqlDbType.Text, ct);
                await w.WriteAsync("textured", NpgsqlDbType.Text, ct);
                await w.WriteAsync(new[] { "fog" }, NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
                await w.WriteAsync(new[] { "classification" }, NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
                await w.WriteAsync("single-task", NpgsqlDbType.Text, ct);
                await w.WriteAsync(seed, NpgsqlDbType.Integer, ct);
                await w.WriteAsync(json, NpgsqlDbType.Jsonb, ct);
                await w.WriteAsync(Hex(id.ToString()), NpgsqlDbType.Varchar, ct);
                await w.WriteAsync(Hex($"config {config} {method}"), NpgsqlDbType.Varchar, ct);
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
            }
            await w.CompleteAsync(ct);
        }
        Console.WriteLine($"seed: experiments in {clock.Elapsed.TotalSeconds:0.0} s");

        await using (var w = await conn.BeginBinaryImportAsync(
            "COPY final_results (experiment_id, split, task, domain, metric, value, attempt_number) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var id in ids)
            {
                foreach (var split in new[] { "validation", "test" })
                {
                    foreach (var domain in new[] { "textured", "fog" })
                    {
                        await w.StartRowAsync(ct);
                        await w.WriteAsync(id, NpgsqlDbType.Uuid, ct);
                        await w.WriteAsync(split, NpgsqlDbType.Text, ct);
                        await w.WriteAsync("classification", NpgsqlDbType.Text, ct);
                        await w.WriteAsync(domain, NpgsqlDbType.Text, ct);
                        await w.WriteAsync("accuracy", NpgsqlDbType.Text, ct);
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
        await Exec(conn, "ANALYZE experiments; ANALYZE metric_points; ANALYZE final_results");
        Console.WriteLine($"seed: done in {clock.Elapsed.TotalSeconds:0.0} s ({experiments} experiments, {written} points)");
        return 0;
    }

    private static ExperimentSpec Spec(string method, int seed) => new()
    {
        Name = "seeded",
        Kind = Kinds.Adapt,
        Backbone = new BackboneSpec { Preset = "vit-lab-s", Source = BackboneSources.Random },
        Method = new MethodSpec { Name = method },
        Data = new DataSpec { LabelFamily = "object-count", SourceDomain = "textured", TargetDomains = ["fog"] },
        Training = new TrainingSpec { Steps = 1000, BatchSize = 64, Seed = seed },
        Tags = [Tag],
        Resources = new ResourcesSpec { Pool = Tag },
    };

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
