using System.Text.Json;
using AdapterLab.Bench.Perf;
using AdapterLab.Bench.Runner;

namespace AdapterLab.Bench.Scenarios.Perf;

/// <summary>
/// Scenario 6, query latency over the seeded history (<c>./platform bench seed</c>): the API calls behind the
/// experiments list, an experiment's curves, a leaderboard and a compare of 10; p50/p95 per call next to the
/// <c>/health/live</c> round trip measured interleaved in the same run. Target p95 ≤ 50 ms.
/// </summary>
public sealed class PerfQueryScenario(PlatformClient client, string resultsDir, bool quick) : IScenario
{
    public string Name => "perf-query";

    public async Task RunAsync(CancellationToken ct)
    {
        var report = new PerfReport(Name, quick);
        int repeats = quick ? 30 : 200;
        // The history the targets are about: 100,000 experiments and 10 million points (--quick: a tenth), seeded once.
        int seedExperiments = quick ? 10_000 : 100_000;
        long seeded = await PlatformEnv.ScalarAsync<long>($"SELECT count(*) FROM experiments WHERE pool = '{SeedCommand.Tag}'", ct);
        if (seeded < seedExperiments)
            await SeedCommand.RunAsync(["--experiments", seedExperiments.ToString(System.Globalization.CultureInfo.InvariantCulture), "--points", (seedExperiments * 100L).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        long experiments = await PlatformEnv.ScalarAsync<long>("SELECT count(*) FROM experiments", ct);
        long points = await PlatformEnv.ScalarAsync<long>("SELECT count(*) FROM metric_points", ct);
        report.Details["experiments"] = experiments;
        report.Details["metricPoints"] = points;
        report.Note($"database holds {experiments} experiments and {points} metric points (target history: 100,000 and 10,000,000; `./platform bench seed`)");

        // Experiments to read: seeded ones spread over the history (random, fixed seed).
        var sample = new List<Guid>();
        await using (var conn = await PlatformEnv.OpenAsync(ct))
        await using (var cmd = new Npgsql.NpgsqlCommand("SELECT id FROM experiments WHERE pool = 'bench-seed' ORDER BY md5(id::text) LIMIT 50", conn))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) sample.Add(r.GetGuid(0));
        if (sample.Count == 0) report.Note("no seeded experiments: run `./platform bench seed` first; curves and compare use whatever exists");
        int k = 0;
        Guid Next() => sample.Count == 0 ? Guid.Empty : sample[k++ % sample.Count];

        string? board = null;
        var (status, _) = await client.GetRawAsync("api/leaderboards", ct);
        if (status == 200)
        {
            var boards = await GetJsonAsync("api/leaderboards", ct);
            foreach (var b in boards.EnumerateArray())
            {
                if (b.TryGetProperty("id", out var idp)) { board = idp.GetString(); break; }
                if (b.TryGetProperty("board", out var bp)) { board = bp.GetString(); break; }
            }
        }

        var calls = new List<(string Name, Func<Task> Call)>
        {
            ("reference: /health/live", async () => await client.GetRawAsync("health/live", ct)),
            ("experiments list (page 1, 50, newest first)", async () => await Expect200(client.GetRawAsync("api/experiments?page=1&pageSize=50", ct))),
            ("experiments list (page 200, 50)", async () => await Expect200(client.GetRawAsync("api/experiments?page=200&pageSize=50", ct))),
            ("experiments list filtered by method", async () => await Expect200(client.GetRawAsync("api/experiments?method=lora&pageSize=50", ct))),
            ("experiment details", async () => await Expect200(client.GetRawAsync($"api/experiments/{Next()}", ct))),
            ("experiment curves (all metric points)", async () => await Expect200(client.GetRawAsync($"api/experiments/{Next()}/metrics", ct))),
            ("compare of 10 (10 × details + curves, concurrent)", async () =>
            {
                var ids = Enumerable.Range(0, 10).Select(_ => Next()).ToList();
                await Task.WhenAll(ids.Select(async id =>
                {
                    await Expect200(client.GetRawAsync($"api/experiments/{id}", ct));
                    await Expect200(client.GetRawAsync($"api/experiments/{id}/metrics", ct));
                }));
            }),
        };
        if (board is not null) calls.Add(("leaderboard (ranked board)", async () => await Expect200(client.GetRawAsync($"api/leaderboards/{Uri.EscapeDataString(board)}", ct))));
        else report.Note("leaderboard: no board exists yet — pending");
        report.Note("compare: there is no compare API yet (the dashboard's compare page queries the database directly); measured as the 10 details + curves calls a client would make — pending a compare endpoint");

        var samples = calls.ToDictionary(c => c.Name, _ => new List<double>());
        foreach (var c in calls) { await c.Call(); await c.Call(); }
        for (int i = 0; i < repeats; i++)
        {
            foreach (var (name, call) in calls)
            {
                long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                await call();
                samples[name].Add(System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds);
            }
        }
        var reference = Distribution.Of(samples[calls[0].Name]);
        report.Add(new Figure("reference: /health/live p50", reference.Median * 1000, "ms") { Repeats = reference.N });
        foreach (var (name, _) in calls.Skip(1))
        {
            var d = Distribution.Of(samples[name]);
            report.Add(new Figure($"{name} p95", d.P95 * 1000, "ms")
            {
                Reference = "/health/live p95 (ms)", ReferenceValue = reference.P95 * 1000, Ratio = d.P95 / reference.P95,
                Target = "≤ 50 ms", Met = d.P95 <= 0.050, Repeats = d.N, Note = $"p50 {d.Median * 1000:0.0} ms",
            });
        }
        await report.WriteAsync(resultsDir, ct);
    }

    private async Task<JsonElement> GetJsonAsync(string path, CancellationToken ct)
    {
        var (status, _) = await client.GetRawAsync(path, ct);
        if (status != 200) return default;
        return await client.GetJsonAsync(path, ct);
    }

    private static async Task Expect200(Task<(int Status, long Bytes)> call)
    {
        var (status, _) = await call;
        if (status is not (200 or 404)) throw new InvalidOperationException($"query returned {status}");
    }
}
