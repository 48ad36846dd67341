using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using AdapterLab.Bench.Perf;
using AdapterLab.Bench.Runner;
using AdapterLab.Contracts.Specs;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace AdapterLab.Bench.Scenarios.Perf;

/// <summary>
/// Scenario 4, dispatch: submit → agent Running with an idle agent (server timestamps of the Queued and Running
/// transitions), p50 and p99, next to a raw RabbitMQ publish → consume round trip (persistent, publisher confirms) on the
/// same broker in the same run; then the same latency with 1,000 experiments queued ahead in a pool no agent serves, and
/// the scheduler's own time for the pass that picks the next experiment over that queue (the orchestrator logs each
/// pass that dispatches). The probes are <c>training.dryRun</c> experiments when the platform enables them
/// (<c>ADAPTERLAB_ALLOW_DRY_RUN=1</c>): they go through attempts and leases like any other (the scenario asserts those rows)
/// but train nothing, so no training run of one probe overlaps the next; otherwise minimal real ones (vit-tiny-ci, one
/// step, 64 images).
/// </summary>
public sealed class PerfDispatchScenario(PlatformClient client, string resultsDir, bool quick) : IScenario
{
    public string Name => "perf-dispatch";

    private bool dryRun;

    public async Task RunAsync(CancellationToken ct)
    {
        var report = new PerfReport(Name, quick);
        int samples = quick ? 5 : 30, backlog = quick ? 200 : 1000, backlogSamples = quick ? 5 : 30;

        var raw = await RawRoundTripAsync(quick ? 100 : 500, ct);
        report.Add(new Figure("raw RabbitMQ publish → consume p50", raw.Median * 1000, "ms") { Repeats = raw.N, Note = $"p99 {raw.P99 * 1000:0.0} ms; persistent, publisher confirms, one at a time" });

        dryRun = await DryRunAcceptedAsync(ct);
        report.Details["probes"] = dryRun ? "dry-run" : "real";
        report.Note(dryRun
            ? "probes: training.dryRun experiments (dispatch, attempt, lease and agent reports; no training)"
            : "probes: real one-step vit-tiny-ci experiments (this platform does not enable training.dryRun: start it with ADAPTERLAB_ALLOW_DRY_RUN=1)");

        // Warm-up probes first, reported apart: the first attempts after a start pay one-off initialisation and the
        // services' code is still being tiered up by the JIT (on 2 cores that competes with the measurement itself).
        var warm = await DispatchLatenciesAsync(quick ? 3 : 10, "warm-up", ct);
        var idleLog = OrchestratorLog.Mark();
        var idle = await DispatchLatenciesAsync(samples, "idle", ct);
        var idlePasses = OrchestratorLog.PassesSince(idleLog, minQueued: 0).Select(p => p.TotalMs).ToList();
        report.Add(new Figure($"warm-up: submit → Running p50 of the first {warm.N} probes (not the target's figure)", warm.Median * 1000, "ms")
        {
            Repeats = warm.N, Note = $"max {warm.Max * 1000:0.0} ms; a platform that has just started",
        });
        report.Add(new Figure("submit → Running p50 (idle agent)", idle.Median * 1000, "ms")
        {
            Reference = "raw broker round trip p50 (ms)", ReferenceValue = raw.Median * 1000, Ratio = idle.Median / raw.Median,
            Target = "≤ 50 ms", Met = idle.Median <= 0.050, Repeats = idle.N,
        });
        report.Add(new Figure("submit → Running p99 (idle agent)", idle.P99 * 1000, "ms")
        {
            Reference = "raw broker round trip p99 (ms)", ReferenceValue = raw.P99 * 1000, Ratio = idle.P99 / raw.P99,
            Target = "≤ 250 ms", Met = idle.P99 <= 0.250, Repeats = idle.N,
        });

        var (orch, agent) = breakdown["idle"];
        var orchD = Distribution.Of(orch);
        var agentD = Distribution.Of(agent);
        report.Add(new Figure("  of which Queued → Dispatched p50 (web commit + publish → orchestrator pass)", orchD.Median * 1000, "ms")
        {
            Reference = "raw broker round trip p50 (ms)", ReferenceValue = raw.Median * 1000, Ratio = orchD.Median / raw.Median, Repeats = orchD.N,
            Note = $"p99 {orchD.P99 * 1000:0.0} ms",
        });
        report.Add(new Figure("  of which Dispatched → Running p50 (pass commit, send, agent accepts and reports)", agentD.Median * 1000, "ms")
        {
            Reference = "raw broker round trip p50 (ms)", ReferenceValue = raw.Median * 1000, Ratio = agentD.Median / raw.Median, Repeats = agentD.N,
            Note = $"p99 {agentD.P99 * 1000:0.0} ms",
        });
        if (idlePasses.Count > 0)
        {
            var p = Distribution.Of(idlePasses);
            report.Add(new Figure("dispatch pass p50, idle queue (read queue, plan, write attempt, send)", p.Median, "ms") { Repeats = p.N, Note = $"p99 {p.P99:0.0} ms; from the orchestrator log" });
        }

        // 1,000 queued ahead (higher priority), in a pool without agents: every dispatch pass reads and plans them.
        Console.WriteLine($"[{Name}] queueing {backlog} experiments in pool bench-void");
        var queued = new List<Guid>();
        var submitClock = Stopwatch.StartNew();
        try
        {
            var spec = Minimal("bench-void", 0, dry: false) with { Priority = 10 };
            var gate = new SemaphoreSlim(4);
            var tasks = Enumerable.Range(0, backlog).Select(async i =>
            {
                await gate.WaitAsync(ct);
                try
                {
                    var id = await client.SubmitAsync(spec with { Training = spec.Training with { Seed = i + 1 } }, ct);
                    lock (queued) queued.Add(id);
                }
                finally { gate.Release(); }
            });
            await Task.WhenAll(tasks);
            submitClock.Stop();
            report.Add(new Figure("submit API (4 concurrent), per experiment", submitClock.Elapsed.TotalMilliseconds / backlog, "ms") { Repeats = backlog });
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            var backlogLog = OrchestratorLog.Mark();
            var full = await DispatchLatenciesAsync(backlogSamples, "backlog", ct);
            var backlogPasses = OrchestratorLog.PassesSince(backlogLog, minQueued: backlog).Select(p => p.TotalMs).ToList();
            report.Add(new Figure($"submit → Running p50 with {backlog} queued ahead", full.Median * 1000, "ms")
            {
                Reference = "idle-queue p50 (ms)", ReferenceValue = idle.Median * 1000, Ratio = full.Median / idle.Median, Repeats = full.N,
                Note = $"p99 {full.P99 * 1000:0.0} ms",
            });
            if (backlogPasses.Count > 0)
            {
                var p = Distribution.Of(backlogPasses);
                report.Add(new Figure($"scheduler pick with {backlog} queued: dispatch pass p50", p.Median, "ms")
                {
                    Reference = "idle-queue pass p50 (ms)", ReferenceValue = idlePasses.Count > 0 ? Distribution.Of(idlePasses).Median : null,
                    Ratio = idlePasses.Count > 0 ? p.Median / Distribution.Of(idlePasses).Median : null,
                    Repeats = p.N, Note = $"p99 {p.P99:0.0} ms; from the orchestrator log (read {backlog}+ queued, plan, write the attempt, send)",
                });
            }
            else report.Note("no dispatch pass lines in the orchestrator log (not a local platform?): scheduler pick not measured directly");
            report.Add(new Figure($"  submit → Running p50 with {backlog} queued − idle p50", Math.Max(0, full.Median - idle.Median) * 1000, "ms") { Repeats = full.N });
        }
        finally
        {
            Console.WriteLine($"[{Name}] cancelling the {queued.Count} queued experiments");
            foreach (var chunk in queued.Chunk(8))
                await Task.WhenAll(chunk.Select(id => client.CancelAsync(id, ct)));
        }
        await report.WriteAsync(resultsDir, ct);
    }

    /// <summary>Whether the platform accepts <c>training.dryRun</c> (a 400 naming that field says it does not).</summary>
    private async Task<bool> DryRunAcceptedAsync(CancellationToken ct)
    {
        try
        {
            var id = await client.SubmitAsync(Minimal("cpu", 999, dry: true), ct);
            await client.WaitAsync(id, "dry-run check", ct, pollMilliseconds: 200);
            return true;
        }
        catch (BenchException ex) when (ex.Message.Contains("training.dryRun", StringComparison.Ordinal))
        {
            return false;
        }
    }

    private static ExperimentSpec Minimal(string pool, int seed, bool dry) => new()
    {
        Name = "bench: dispatch probe",
        Kind = Kinds.Pretrain,
        Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Random },
        Method = new MethodSpec { Name = Methods.Supervised },
        Data = new DataSpec { LabelFamily = "largest-shape", SourceDomain = "synthetic", TrainSize = 64, ValidationSize = 64, TestSize = 64 },
        Training = new TrainingSpec { Steps = 1, BatchSize = 32, Seed = seed, DryRun = dry ? true : null },
        Tags = ["bench", "perf-dispatch"],
        Resources = new ResourcesSpec { Pool = pool },
    };

    /// <summary>Submits one minimal experiment at a time to the idle agent; seconds from the Queued to the Running transition.</summary>
    private readonly Dictionary<string, (List<double> Orchestrator, List<double> Agent)> breakdown = [];

    private async Task<Distribution> DispatchLatenciesAsync(int n, string label, CancellationToken ct)
    {
        var latencies = new List<double>();
        var parts = breakdown[label] = ([], []);
        for (int i = 0; i < n; i++)
        {
            var id = await client.SubmitAsync(Minimal("cpu", 1000 + i, dryRun), ct);
            var e = await client.WaitAsync(id, $"{label} {i + 1}/{n}", ct, pollMilliseconds: 200);
            var status = e.GetProperty("status").GetString();
            var transitions = await client.TransitionsAsync(id, ct);
            DateTimeOffset? queuedAt = null, runningAt = null, dispatchedAt = null;
            foreach (var t in transitions.EnumerateArray())
            {
                var to = t.GetProperty("to").GetString();
                var at = t.GetProperty("at").GetDateTimeOffset();
                if (to == "Queued") queuedAt ??= at;
                if (to == "Running") runningAt ??= at;
                if (to == "Dispatched") dispatchedAt ??= at;
            }
            // The attempt and its lease must exist: dispatch went through the real path.
            var attempts = e.GetProperty("attempts");
            if (attempts.GetArrayLength() < 1 || attempts[0].GetProperty("leaseExpiresAt").ValueKind == JsonValueKind.Null)
                throw new InvalidOperationException($"experiment {id} has no attempt with a lease");
            if (status != "Succeeded") throw new InvalidOperationException($"probe {id} ended {status}");
            if (queuedAt is null || runningAt is null) throw new InvalidOperationException($"experiment {id} ({status}) lacks a Queued or Running transition");
            latencies.Add((runningAt.Value - queuedAt.Value).TotalSeconds);
            if (dispatchedAt is { } dAt)
            {
                parts.Orchestrator.Add((dAt - queuedAt.Value).TotalSeconds);
                parts.Agent.Add((runningAt.Value - dAt).TotalSeconds);
            }
            Console.WriteLine($"  {label} {i + 1}: {latencies[^1] * 1000:0.0} ms ({status})");
        }
        return Distribution.Of(latencies);
    }

    /// <summary>Publish (persistent, confirmed) → consume on a private temporary queue, one message at a time.</summary>
    private static async Task<Distribution> RawRoundTripAsync(int n, CancellationToken ct)
    {
        var o = PlatformEnv.Rabbit() ?? throw new InvalidOperationException("RabbitMq__* is not set (./platform bench sets it)");
        var factory = new ConnectionFactory { HostName = o.Host, Port = o.Port, VirtualHost = o.VirtualHost, UserName = o.Username, Password = o.Password };
        await using var conn = await factory.CreateConnectionAsync(ct);
        await using var channel = await conn.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        var q = await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true, cancellationToken: ct);
        TaskCompletionSource<bool>? pending = null;
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, _) => { pending?.TrySetResult(true); return Task.CompletedTask; };
        await channel.BasicConsumeAsync(q.QueueName, autoAck: true, consumer, ct);
        var body = new byte[512];
        var props = new BasicProperties { Persistent = true };
        var times = new List<double>();
        for (int i = 0; i < n + 5; i++)
        {
            pending = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            long t0 = Stopwatch.GetTimestamp();
            await channel.BasicPublishAsync("", q.QueueName, mandatory: false, props, body, ct);
            await pending.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
            if (i >= 5) times.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return Distribution.Of(times);
    }
}
