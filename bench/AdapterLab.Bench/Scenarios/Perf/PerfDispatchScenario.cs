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
/// same broker in the same run; then the same latency with 1,000 experiments queued ahead in a pool no agent serves
/// (the scheduler's pass over a full queue window). The measured experiments are real but minimal (vit-tiny-ci, one
/// step, 64 images): they go through attempts and leases like any other, and the scenario asserts those rows.
/// </summary>
public sealed class PerfDispatchScenario(PlatformClient client, string resultsDir, bool quick) : IScenario
{
    public string Name => "perf-dispatch";

    public async Task RunAsync(CancellationToken ct)
    {
        var report = new PerfReport(Name, quick);
        int samples = quick ? 5 : 30, backlog = quick ? 200 : 1000, backlogSamples = quick ? 3 : 10;

        var raw = await RawRoundTripAsync(quick ? 100 : 500, ct);
        report.Add(new Figure("raw RabbitMQ publish → consume p50", raw.Median * 1000, "ms") { Repeats = raw.N, Note = $"p99 {raw.P99 * 1000:0.0} ms; persistent, publisher confirms, one at a time" });

        // One unmeasured probe first: the agent's first attempt pays its one-off torch initialisation.
        await DispatchLatenciesAsync(1, "warm-up", ct);
        var idle = await DispatchLatenciesAsync(samples, "idle", ct);
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
        report.Add(new Figure("  of which Queued → Dispatched p50 (web outbox → orchestrator pass)", orchD.Median * 1000, "ms")
        {
            Reference = "raw broker round trip p50 (ms)", ReferenceValue = raw.Median * 1000, Ratio = orchD.Median / raw.Median, Repeats = orchD.N,
            Note = $"p99 {orchD.P99 * 1000:0.0} ms",
        });
        report.Add(new Figure("  of which Dispatched → Running p50 (agent: accept, prepare, report started)", agentD.Median * 1000, "ms")
        {
            Reference = "raw broker round trip p50 (ms)", ReferenceValue = raw.Median * 1000, Ratio = agentD.Median / raw.Median, Repeats = agentD.N,
            Note = $"p99 {agentD.P99 * 1000:0.0} ms",
        });

        // 1,000 queued ahead, in a pool without agents: every dispatch pass walks them (queue window 1,000).
        Console.WriteLine($"[{Name}] queueing {backlog} experiments in pool bench-void");
        var queued = new List<Guid>();
        var submitClock = Stopwatch.StartNew();
        try
        {
            var spec = Minimal("bench-void", 0) with { Priority = 10 };
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
            var full = await DispatchLatenciesAsync(backlogSamples, "backlog", ct);
            report.Add(new Figure($"submit → Running p50 with {backlog} queued ahead", full.Median * 1000, "ms")
            {
                Reference = "idle-queue p50 (ms)", ReferenceValue = idle.Median * 1000, Ratio = full.Median / idle.Median, Repeats = full.N,
                Note = $"the extra time is the scheduler's pass over the queue; p99 {full.P99 * 1000:0.0} ms",
            });
            report.Add(new Figure($"scheduler pick with {backlog} queued (p50 − idle p50)", Math.Max(0, full.Median - idle.Median) * 1000, "ms") { Repeats = full.N });
        }
        finally
        {
            Console.WriteLine($"[{Name}] cancelling the {queued.Count} queued experiments");
            foreach (var chunk in queued.Chunk(8))
                await Task.WhenAll(chunk.Select(id => client.CancelAsync(id, ct)));
        }
        await report.WriteAsync(resultsDir, ct);
    }

    private static ExperimentSpec Minimal(string pool, int seed) => new()
    {
        Name = "bench: dispatch probe",
        Kind = Kinds.Pretrain,
        Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Random },
        Method = new MethodSpec { Name = Methods.Supervised },
        Data = new DataSpec { LabelFamily = "largest-shape", SourceDomain = "synthetic", TrainSize = 64, ValidationSize = 64, TestSize = 64 },
        Training = new TrainingSpec { Steps = 1, BatchSize = 32, Seed = seed },
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
            var id = await client.SubmitAsync(Minimal("cpu", 1000 + i), ct);
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
