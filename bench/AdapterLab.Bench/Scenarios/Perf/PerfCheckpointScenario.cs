using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using AdapterLab.Bench.Perf;
using AdapterLab.Bench.Runner;

namespace AdapterLab.Bench.Scenarios.Perf;

/// <summary>
/// Scenario 7, checkpoint I/O through the agent endpoints (<c>/api/agent/blobs</c>, agent token): upload and download
/// MB/s of a large random checkpoint (1 GiB; 64 MiB with <c>--quick</c>) next to a plain local file copy of the same
/// bytes in the same run, the downloaded bytes' sha256 checked against the upload's, web's memory (RSS, sampled every
/// 50 ms, upload and download apart: it must stay flat whatever the size — streamed, never buffered whole), and dedup:
/// one backbone plus 100 adapter outputs, each experiment uploading the backbone it used again, must store
/// ≤ backbone + 100 × adapter.
/// </summary>
public sealed class PerfCheckpointScenario(PlatformClient client, string resultsDir, bool quick) : IScenario
{
    public string Name => "perf-checkpoint";

    public async Task RunAsync(CancellationToken ct)
    {
        var report = new PerfReport(Name, quick);
        var token = PlatformEnv.AgentToken ?? throw new InvalidOperationException("ADAPTERLAB_AGENT_TOKEN is not set (./platform bench sets it)");
        long size = quick ? 64L << 20 : 1L << 30;
        int repeats = quick ? 2 : 3;
        using var http = new HttpClient { BaseAddress = client.BaseAddress, Timeout = TimeSpan.FromMinutes(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var tmp = Path.Combine(Path.GetTempPath(), $"adapterlab-perf-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        var webPid = PlatformEnv.WebPid();
        // The blob endpoints serve an agent only what its leases name: the bench's token (the bootstrap agent token) holds a
        // Running attempt of its own for the run, and each download is first named as that attempt's backbone.
        var lease = (await HeldAttempts.CreateAsync([BenchAgent], "bench-checkpoint", ct))[0];
        try
        {
            var up = new List<double>();
            var down = new List<double>();
            var copy = new List<double>();
            long webPeak = 0, upPeak = 0, downPeak = 0, webBase = webPid is { } p0 ? PlatformEnv.Memory(p0).Rss : 0;
            var timeline = new List<object>();
            for (int r = 0; r < repeats; r++)
            {
                // A fresh random file per round (a new hash: the upload really stores it).
                var file = Path.Combine(tmp, $"ckpt-{r}.bin");
                string hash = await WriteRandomAsync(file, size, r, ct);
                var clock = Stopwatch.StartNew();
                File.Copy(file, file + ".copy", overwrite: true);
                copy.Add(size / clock.Elapsed.TotalSeconds);
                File.Delete(file + ".copy");

                var sampler = new MemorySampler(webPid);
                clock.Restart();
                await using (var stream = File.OpenRead(file))
                {
                    using var content = new StreamContent(stream, 1 << 20);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    using var response = await http.PutAsync($"api/agent/blobs/{hash}", content, ct);
                    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"upload failed ({(int)response.StatusCode}): {await response.Content.ReadAsStringAsync(ct)}");
                }
                up.Add(size / clock.Elapsed.TotalSeconds);
                sampler.Dispose();
                upPeak = Math.Max(upPeak, sampler.Peak);
                timeline.Add(new { round = r, phase = "upload", seconds = Math.Round(clock.Elapsed.TotalSeconds, 1), rssMiB = sampler.Series() });
                sampler = new MemorySampler(webPid);
                clock.Restart();
                await PlatformEnv.ExecAsync("UPDATE attempts SET backbone_blob = @h WHERE experiment_id = @id", ct, ("h", hash), ("id", lease));
                using (var response = await http.GetAsync($"api/agent/blobs/{hash}", HttpCompletionOption.ResponseHeadersRead, ct))
                {
                    response.EnsureSuccessStatusCode();
                    await using var body = await response.Content.ReadAsStreamAsync(ct);
                    var buffer = new byte[1 << 20];
                    using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                    long total = 0;
                    int n;
                    while ((n = await body.ReadAsync(buffer, ct)) > 0)
                    {
                        sha.AppendData(buffer, 0, n);
                        total += n;
                    }
                    if (total != size) throw new InvalidOperationException($"download returned {total} of {size} bytes");
                    var got = Convert.ToHexStringLower(sha.GetHashAndReset());
                    if (got != hash) throw new InvalidOperationException($"downloaded bytes hash to {got}, uploaded {hash}");
                }
                down.Add(size / clock.Elapsed.TotalSeconds);
                sampler.Dispose();
                downPeak = Math.Max(downPeak, sampler.Peak);
                timeline.Add(new { round = r, phase = "download", seconds = Math.Round(clock.Elapsed.TotalSeconds, 1), rssMiB = sampler.Series() });
                webPeak = Math.Max(webPeak, Math.Max(upPeak, downPeak));
                File.Delete(file);
                await PlatformEnv.ExecAsync("DELETE FROM blob_chunks WHERE hash = @h; DELETE FROM blobs WHERE hash = @h", ct, ("h", hash));
            }
            var copyD = Distribution.Of(copy);
            var upD = Distribution.Of(up);
            var downD = Distribution.Of(down);
            double mb = 1 << 20;
            report.Add(new Figure($"upload {size >> 20} MiB through /api/agent/blobs", upD.Median / mb, "MiB/s")
            {
                Reference = "local file copy MiB/s", ReferenceValue = copyD.Median / mb, Ratio = upD.Median / copyD.Median, Repeats = upD.N,
            });
            report.Add(new Figure($"download {size >> 20} MiB through /api/agent/blobs", downD.Median / mb, "MiB/s")
            {
                Reference = "local file copy MiB/s", ReferenceValue = copyD.Median / mb, Ratio = downD.Median / copyD.Median, Repeats = downD.N,
            });
            if (webPid is not null)
            {
                report.Add(new Figure("web RSS peak during transfers, above its idle RSS", (webPeak - webBase) / mb, "MiB")
                {
                    Reference = "checkpoint size MiB", ReferenceValue = size / mb, Ratio = (double)(webPeak - webBase) / size,
                    Target = "≤ 64 MiB whatever the size (streamed)", Met = webPeak - webBase <= 64L << 20,
                    Note = $"upload peak +{(upPeak - webBase) / mb:0} MiB, download peak +{(downPeak - webBase) / mb:0} MiB over idle {webBase / mb:0} MiB; downloads verified by sha256",
                });
                report.Details["webRssTimeline"] = new { idleMiB = Math.Round(webBase / mb, 1), samples = timeline };
            }
            else report.Note("web pid unknown (ADAPTERLAB_RUN_DIR): web memory not sampled");

            await DedupAsync(http, report, tmp, quick, ct);
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
            await HeldAttempts.RemoveAsync([lease], CancellationToken.None);
        }
        await report.WriteAsync(resultsDir, ct);
    }

    /// <summary>
    /// A vit-lab-s-sized backbone blob and 100 adapter-sized outputs; every experiment uploads the backbone it used again
    /// (as an agent that does not check first would). Stored bytes must be ≤ backbone + 100 × adapter.
    /// </summary>
    private static async Task DedupAsync(HttpClient http, PerfReport report, string tmp, bool quick, CancellationToken ct)
    {
        int experiments = quick ? 20 : 100;
        long backboneSize = 11L << 20, adapterSize = 640L << 10;
        long before = await PlatformEnv.ScalarAsync<long>("SELECT coalesce(sum(size_bytes), 0) FROM blobs", ct);
        var backbone = Path.Combine(tmp, "backbone.bin");
        var backboneHash = await WriteRandomAsync(backbone, backboneSize, 1000, ct);
        var hashes = new List<string> { backboneHash };
        for (int i = 0; i < experiments; i++)
        {
            await PutAsync(http, backbone, backboneHash, ct);
            var adapter = Path.Combine(tmp, $"adapter-{i}.bin");
            var h = await WriteRandomAsync(adapter, adapterSize, 2000 + i, ct);
            await PutAsync(http, adapter, h, ct);
            hashes.Add(h);
            File.Delete(adapter);
        }
        long after = await PlatformEnv.ScalarAsync<long>("SELECT coalesce(sum(size_bytes), 0) FROM blobs", ct);
        long bound = backboneSize + experiments * adapterSize;
        report.Add(new Figure($"dedup: stored bytes for 1 backbone + {experiments} adapter experiments", (after - before) / 1048576.0, "MiB")
        {
            Reference = "backbone + N × adapter (MiB)", ReferenceValue = bound / 1048576.0, Ratio = (double)(after - before) / bound,
            Target = "≤ 1.00", Met = after - before <= bound, Note = "content-addressed blobs: the backbone uploaded again by every experiment is stored once",
        });
        foreach (var h in hashes)
            await PlatformEnv.ExecAsync("DELETE FROM blob_chunks WHERE hash = @h; DELETE FROM blobs WHERE hash = @h", ct, ("h", h));
    }

    /// <summary>The name an agent token is issued under is the agent it belongs to; ./platform bench passes the bootstrap agent token.</summary>
    private const string BenchAgent = "bootstrap-agent";

    private static async Task PutAsync(HttpClient http, string file, string hash, CancellationToken ct)
    {
        await using var stream = File.OpenRead(file);
        using var content = new StreamContent(stream);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await http.PutAsync($"api/agent/blobs/{hash}", content, ct);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"upload failed ({(int)response.StatusCode})");
    }

    /// <summary>Writes deterministic pseudo-random bytes; returns their SHA-256 (hex, lower case).</summary>
    private static async Task<string> WriteRandomAsync(string path, long size, int seed, CancellationToken ct)
    {
        var rng = new Random(seed);
        var buffer = new byte[1 << 20];
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var f = File.Create(path);
        for (long written = 0; written < size; written += buffer.Length)
        {
            int n = (int)Math.Min(buffer.Length, size - written);
            rng.NextBytes(buffer.AsSpan(0, n));
            sha.AppendData(buffer, 0, n);
            await f.WriteAsync(buffer.AsMemory(0, n), ct);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Samples a process's RSS every 50 ms in the background; <see cref="Peak"/> is the highest seen.</summary>
    private sealed class MemorySampler : IDisposable
    {
        private readonly CancellationTokenSource cts = new();
        private readonly List<long> series = [];
        private long peak;

        public MemorySampler(int? pid)
        {
            if (pid is not { } p) return;
            _ = Task.Run(async () =>
            {
                while (!cts.IsCancellationRequested)
                {
                    var rss = PlatformEnv.Memory(p).Rss;
                    if (rss > Interlocked.Read(ref peak)) Interlocked.Exchange(ref peak, rss);
                    lock (series) series.Add(rss);
                    try { await Task.Delay(50, cts.Token); } catch (OperationCanceledException) { }
                }
            });
        }

        public long Peak => Interlocked.Read(ref peak);

        /// <summary>RSS in MiB, about one value per second (the highest of each 20 samples).</summary>
        public double[] Series()
        {
            lock (series) return series.Chunk(20).Select(c => Math.Round(c.Max() / 1048576.0, 1)).ToArray();
        }

        public void Dispose() => cts.Cancel();
    }
}
