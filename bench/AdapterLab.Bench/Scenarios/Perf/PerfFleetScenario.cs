using System.Diagnostics;
using AdapterLab.Bench.Perf;
using AdapterLab.Bench.Runner;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Bench.Scenarios.Perf;

/// <summary>
/// The orchestrator at fleet scale (issue 25), every figure a ratio to a reference measured in the same run:
/// <list type="number">
/// <item>submit → Running with one agent, then with a thousand (<see cref="SimulatedFleet"/>: real per-agent tokens and
/// broker identities over raw AMQP, announcing every 5 s — the announcement is the heartbeat of the attempts it lists —
/// running dry-run attempts);</item>
/// <item>the orchestrator's CPU (from /proc) with one agent, with the thousand idle, and with each of them holding an
/// attempt (an announcement per agent per 5 s, listing it), each after 10 s to settle: heartbeat handling as a share of
/// one core;</item>
/// <item>the dispatch pass (its own log line, phase by phase) with 1,000 and with 100,000 experiments queued ahead in a
/// pool no agent serves, and the probes' latency behind them (a pool is never starved by another's queue);</item>
/// <item>a CPU profile of the orchestrator under the heartbeat load: where the next limit is.</item>
/// </list>
/// Probes are minimal experiments in the fleet's pool (dry runs when the platform allows them), removed afterwards with
/// the backlog; the tokens are revoked.
/// </summary>
public sealed class PerfFleetScenario(PlatformClient client, string resultsDir, bool quick) : IScenario
{
    public string Name => "perf-fleet";

    private const string Pool = "bench-fleet", VoidPool = "bench-fleet-void";
    private readonly List<Guid> created = [];
    private bool dryRun;
    private int probeSeed = 1000;

    public async Task RunAsync(CancellationToken ct)
    {
        var report = new PerfReport(Name, quick);
        int fleetSize = quick ? 50 : 1000, probes = quick ? 8 : 30, smallBacklog = quick ? 200 : 1000, largeBacklog = quick ? 5000 : 100_000;
        var window = TimeSpan.FromSeconds(quick ? 10 : 30);
        var settle = TimeSpan.FromSeconds(quick ? 3 : 10);
        var broker = PlatformEnv.Rabbit() ?? throw new InvalidOperationException("RabbitMq__* is not set (./platform bench sets it)");
        var orchestratorPid = PlatformEnv.ServicePid("orchestrator");
        if (orchestratorPid is null) report.Note("no orchestrator pid file (not a local platform?): CPU figures and the profile are not taken");

        Console.WriteLine($"[{Name}] issuing {fleetSize} agent tokens");
        var identities = new (string Id, Guid TokenId, string Token)[fleetSize];
        await Parallel.ForEachAsync(Enumerable.Range(0, fleetSize), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, c) =>
        {
            var id = $"bench-fleet-{i + 1:D4}";
            var (tokenId, token) = await client.IssueAgentTokenAsync(id, 1, c);
            identities[i] = (id, tokenId, token);
        });

        var fleet = new SimulatedFleet(broker, PlatformEnv.QuorumQueues, Pool, broker.Username);
        try
        {
            dryRun = await DryRunAcceptedAsync(ct);
            report.Details["probes"] = dryRun ? "dry-run" : "minimal specs (the platform does not enable training.dryRun; simulated agents train nothing either way)";

            // 1. One agent.
            await fleet.ConnectAsync([(identities[0].Id, identities[0].Token)], 1, ct);
            await WaitAnnouncedAsync(1, ct);
            await ProbeAsync(quick ? 3 : 10, "warm-up", ct);
            var one = await ProbeAsync(probes, "1 agent", ct);
            // The idle reference after the probes and a settle, as the fleet's figures are taken: measured straight after
            // start-up it carried the runtime's own warm-up (tiered compilation), which the fleet figures subtract.
            await Task.Delay(settle, ct);
            var cpuOne = orchestratorPid is { } p1 ? await ProcessCpu.ShareOfOneCoreAsync(p1, window, ct) : null;

            // 2. The fleet.
            Console.WriteLine($"[{Name}] connecting {fleetSize - 1} more agents");
            var connectClock = Stopwatch.StartNew();
            await fleet.ConnectAsync(identities.Skip(1).Select(i => (i.Id, i.Token)).ToList(), 8, ct);
            await WaitAnnouncedAsync(fleetSize, ct);
            report.Add(new Figure($"{fleetSize} agents connected and announced (tokens checked by the web for each login)", connectClock.Elapsed.TotalSeconds, "s"));
            // Steady state: the first announcements of a thousand fresh connections are behind us.
            await Task.Delay(settle, ct);
            var cpuIdle = orchestratorPid is { } p2 ? await ProcessCpu.ShareOfOneCoreAsync(p2, window, ct) : null;
            var many = await ProbeAsync(probes, $"{fleetSize} agents", ct);

            report.Add(new Figure("submit → Running p50, 1 agent", one.Median * 1000, "ms") { Repeats = one.N, Note = $"p99 {one.P99 * 1000:0.0} ms{Split("1 agent", one)}" });
            report.Add(new Figure($"submit → Running p50, {fleetSize} agents", many.Median * 1000, "ms")
            {
                Reference = "1-agent p50 (ms)", ReferenceValue = one.Median * 1000, Ratio = many.Median / one.Median,
                Target = "≤ 1.2× the 1-agent figure", Met = many.Median <= 1.2 * one.Median, Repeats = many.N, Note = $"p99 {many.P99 * 1000:0.0} ms{Split($"{fleetSize} agents", many)}",
            });

            // 3. Heartbeat load: every agent holds an attempt; its announcement every 5 s lists it and is its heartbeat.
            Console.WriteLine($"[{Name}] giving each agent an attempt to hold");
            fleet.Hold();
            var held = new List<Guid>();
            await Parallel.ForEachAsync(Enumerable.Range(0, fleetSize), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (i, c) =>
            {
                var id = await client.SubmitAsync(Probe(Interlocked.Increment(ref probeSeed)), c);
                lock (held) held.Add(id);
            });
            lock (created) created.AddRange(held);
            await WaitUntilAsync(() => fleet.Holding >= fleetSize * 0.98, TimeSpan.FromMinutes(5), $"{fleetSize} agents holding an attempt", ct);
            await Task.Delay(settle, ct);
            var sentBefore = fleet.Published;
            var cpuHeld = orchestratorPid is { } p3 ? await ProcessCpu.ShareOfOneCoreAsync(p3, window, ct) : null;
            double messagesPerSecond = (fleet.Published - sentBefore) / window.TotalSeconds;
            List<CpuProfile.Frame>? profile = null;
            if (orchestratorPid is { } p4)
            {
                Console.WriteLine($"[{Name}] profiling the orchestrator under the heartbeat load");
                var (frames, why) = await CpuProfile.TakeAsync(p4, TimeSpan.FromSeconds(quick ? 8 : 20), Path.Combine(Path.GetTempPath(), "adapterlab-perf-fleet.nettrace"), 60, ct);
                profile = frames;
                if (why is not null) report.Note("profile not taken: " + why);
            }
            fleet.Release();
            report.Add(new Figure("orchestrator CPU, 1 agent idle", (cpuOne ?? double.NaN) * 100, "% of one core") { Note = $"over {window.TotalSeconds:0} s" });
            report.Add(new Figure($"orchestrator CPU, {fleetSize} agents idle (an announcement each per 5 s)", (cpuIdle ?? double.NaN) * 100, "% of one core")
            {
                Reference = "1 agent (%)", ReferenceValue = cpuOne * 100, Ratio = cpuIdle / cpuOne,
            });
            double? heartbeatShare = cpuHeld is { } h && cpuOne is { } o ? h - o : null;
            report.Add(new Figure($"heartbeat handling at {fleetSize} agents each holding an attempt (orchestrator CPU − the 1-agent figure)", (heartbeatShare ?? double.NaN) * 100, "% of one core")
            {
                Reference = "1 agent (%)", ReferenceValue = cpuOne * 100, Target = "≤ 5 % of one core", Met = heartbeatShare is { } s ? s <= 0.05 : null,
                Note = $"{messagesPerSecond:0} messages/s from the fleet (announcements, each the heartbeat of the attempt it lists) over {window.TotalSeconds:0} s; orchestrator total {(cpuHeld ?? double.NaN) * 100:0.0} %; "
                    + $"{(heartbeatShare is { } hs && messagesPerSecond > 0 ? $"{hs / messagesPerSecond * 1e6:0} µs of CPU per message" : "")}",
            });
            await WaitUntilAsync(() => fleet.Holding == 0, TimeSpan.FromMinutes(3), "the held attempts to end", ct);
            // And until the platform has stored every one of them as ended: a thousand results at once queue up on the
            // lifecycle queue, and an attempt whose result is stored after its lease lapsed is retried (attempt 2) — a
            // wave of dispatches that would otherwise land in the backlog phase's passes.
            var unfinished = await WaitFinishedAsync(held, ct);
            var retried = await PlatformEnv.ScalarAsync<long>("SELECT count(*) FROM experiments WHERE id = ANY(@ids) AND attempt_count > 1", ct, ("ids", held.ToArray()));
            report.Note($"{held.Count} held attempts released at once: {retried} of them were retried (their result was stored after their lease lapsed)"
                + (unfinished > 0 ? $"; {unfinished} had not ended after 5 minutes" : ""));

            // 4. A long queue ahead, in a pool without agents.
            var passes = new Dictionary<int, List<OrchestratorLog.Pass>>();
            var behind = new Dictionary<int, Distribution>();
            int queuedSoFar = 0;
            foreach (var backlog in new[] { smallBacklog, largeBacklog })
            {
                Console.WriteLine($"[{Name}] {backlog} experiments queued in {VoidPool}");
                await QueuedBacklog.AddAsync(VoidPool, backlog - queuedSoFar, ct);
                queuedSoFar = backlog;
                await Task.Delay(TimeSpan.FromSeconds(3), ct);
                var mark = OrchestratorLog.Mark();
                behind[backlog] = await ProbeAsync(probes, $"{backlog} queued ahead", ct);
                passes[backlog] = OrchestratorLog.PassesSince(mark, minQueued: 0);
            }
            if (passes[smallBacklog].Count > 0 && passes[largeBacklog].Count > 0)
            {
                var small = Distribution.Of(passes[smallBacklog].Select(p => p.TotalMs));
                var large = Distribution.Of(passes[largeBacklog].Select(p => p.TotalMs));
                report.Add(new Figure($"dispatch pass p99, {smallBacklog:N0} queued", small.P99, "ms") { Repeats = small.N, Note = $"p50 {small.Median:0.0} ms; {Phases(passes[smallBacklog])}" });
                report.Add(new Figure($"dispatch pass p99, {largeBacklog:N0} queued", large.P99, "ms")
                {
                    Reference = $"{smallBacklog:N0}-queued p99 (ms)", ReferenceValue = small.P99, Ratio = large.P99 / small.P99,
                    Target = "≤ 3× the pass at 1,000 queued", Met = large.P99 <= 3 * small.P99, Repeats = large.N,
                    Note = $"p50 {large.Median:0.0} ms; {Phases(passes[largeBacklog])}",
                });
            }
            else report.Note("no dispatch pass lines in the orchestrator log (not a local platform?): the pass was not measured");
            report.Add(new Figure($"submit → Running p50 behind {largeBacklog:N0} queued at higher priority in another pool", behind[largeBacklog].Median * 1000, "ms")
            {
                Reference = $"{fleetSize}-agent p50 with nothing queued (ms)", ReferenceValue = many.Median * 1000, Ratio = behind[largeBacklog].Median / many.Median,
                Target = "every probe dispatched (no pool starved)", Met = behind[largeBacklog].N == probes, Repeats = behind[largeBacklog].N,
                Note = $"p99 {behind[largeBacklog].P99 * 1000:0.0} ms; behind {smallBacklog:N0}: p50 {behind[smallBacklog].Median * 1000:0.0} ms",
            });

            // 5. The profile: the methods most often on the orchestrator's stacks while the fleet heartbeats.
            if (profile is not null)
            {
                report.Details["profile"] = profile;
                var md = new System.Text.StringBuilder();
                md.AppendLine($"The orchestrator under {fleetSize} agents' heartbeats, {(quick ? 8 : 20)} s of kernel CPU samples with managed stacks "
                    + "(`dotnet-trace collect-linux --profile cpu-sampling`); the share of samples with each method on the stack (inclusive), the 30 highest below the thread roots.");
                md.AppendLine();
                md.AppendLine("| share | method |");
                md.AppendLine("|---|---|");
                foreach (var f in profile.Where(f => !Root(f.Method)).Take(30))
                    md.AppendLine($"| {f.InclusivePercent:0.0} % | `{f.Method.Replace("|", "\\|", StringComparison.Ordinal)}` |");
                report.Sections.Add(("Profile: where the orchestrator's CPU goes", md.ToString()));
            }
            report.Details["fleet"] = new { agents = fleet.Count, published = fleet.Published, publishFailures = fleet.PublishFailures, accepted = fleet.Accepted, refused = fleet.Refused, cancels = fleet.Cancels, connectRetries = fleet.ConnectRetries, failures = fleet.FailureKinds };
            if (fleet.PublishFailures > 0 || fleet.Refused > 0)
                report.Note($"the fleet saw {fleet.PublishFailures} failed publishes ({string.Join("; ", fleet.FailureKinds.OrderByDescending(k => k.Value).Take(3).Select(k => $"{k.Value} × {k.Key}"))}) and {fleet.Refused} deliveries not from the orchestrator");
        }
        finally
        {
            Console.WriteLine($"[{Name}] cleaning up: agents stop, tokens revoked, experiments removed");
            await fleet.DisposeAsync();
            await QueuedBacklog.RemoveAsync(VoidPool, CancellationToken.None);
            await HeldAttempts.RemoveAsync(created.ToArray(), CancellationToken.None);
            await PlatformEnv.ExecAsync("DELETE FROM agents WHERE pool = @pool AND stopped", CancellationToken.None, ("pool", Pool));
            foreach (var chunk in identities.Where(i => i.Id is not null).Chunk(8))
                await Task.WhenAll(chunk.Select(i => client.RevokeAgentTokenAsync(i.TokenId, CancellationToken.None)));
        }
        await report.WriteAsync(resultsDir, ct);
    }

    /// <summary>The synthetic roots every sample shares (the event, the thread list, the process's entry frames).</summary>
    private static bool Root(string method) =>
        method.StartsWith("EventName:", StringComparison.Ordinal) || method.StartsWith("EventData:", StringComparison.Ordinal)
        || method is "(Non-Activities)" or "Threads" or "libcoreclr.so!?" or "libc.so.6!start_thread" or "libc.so.6!__clone3" or "system.private.corelib!?";

    private static string Phases(List<OrchestratorLog.Pass> passes)
    {
        var logged = passes.Where(p => p.ReadMs is not null).ToList();
        if (logged.Count == 0) return "phases not logged";
        double M(Func<OrchestratorLog.Pass, double?> f) => Distribution.Of(logged.Select(p => f(p)!.Value)).Median;
        return $"phase medians: read {M(p => p.ReadMs):0.0}, resolve {M(p => p.ResolveMs):0.0}, plan {M(p => p.PlanMs):0.0}, write {M(p => p.WriteMs):0.0}, send {M(p => p.SendMs):0.0} ms; queue rows read {passes.Max(p => p.Queued)}";
    }

    private ExperimentSpec Probe(int seed) => new()
    {
        Name = "bench: fleet probe",
        Kind = Kinds.Pretrain,
        Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Random },
        Method = new MethodSpec { Name = Methods.Supervised },
        Data = new DataSpec { LabelFamily = "largest-shape", SourceDomain = "synthetic", TrainSize = 64, ValidationSize = 64, TestSize = 64 },
        Training = new TrainingSpec { Steps = 1, BatchSize = 32, Seed = seed, DryRun = dryRun ? true : null },
        Tags = ["bench", "perf-fleet"],
        Resources = new ResourcesSpec { Pool = Pool },
    };

    private async Task<bool> DryRunAcceptedAsync(CancellationToken ct)
    {
        try
        {
            dryRun = true;
            var spec = Probe(1) with { Resources = new ResourcesSpec { Pool = VoidPool } };
            var id = await client.SubmitAsync(spec, ct);
            lock (created) created.Add(id);
            await client.CancelAsync(id, ct);
            return true;
        }
        catch (BenchException ex) when (ex.Message.Contains("training.dryRun", StringComparison.Ordinal))
        {
            dryRun = false;
            return false;
        }
    }

    /// <summary>Submits probes one at a time; seconds from the Queued to the Running transition (server timestamps).</summary>
    private async Task<Distribution> ProbeAsync(int n, string label, CancellationToken ct)
    {
        var latencies = new List<double>();
        var toDispatched = new List<double>();
        var toAgent = new List<double>();
        for (int i = 0; i < n; i++)
        {
            var id = await client.SubmitAsync(Probe(Interlocked.Increment(ref probeSeed)), ct);
            lock (created) created.Add(id);
            var deadline = Stopwatch.StartNew();
            string? status = null;
            DateTimeOffset? agentStartedAt = null; // the agent's own clock (same machine): when it took the attempt
            while (deadline.Elapsed < TimeSpan.FromMinutes(2))
            {
                var view = await client.GetAsync(id, ct);
                status = view.GetProperty("status").GetString();
                agentStartedAt = view.TryGetProperty("startedAt", out var sa) && sa.ValueKind == System.Text.Json.JsonValueKind.String ? sa.GetDateTimeOffset() : null;
                if (status is "Succeeded" or "Failed" or "Cancelled") break;
                await Task.Delay(100, ct);
            }
            if (status != "Succeeded") throw new InvalidOperationException($"{label} probe {id} is {status} after 2 minutes");
            DateTimeOffset? queuedAt = null, dispatchedAt = null, runningAt = null;
            foreach (var t in (await client.TransitionsAsync(id, ct)).EnumerateArray())
            {
                var to = t.GetProperty("to").GetString();
                if (to == "Queued") queuedAt ??= t.GetProperty("at").GetDateTimeOffset();
                if (to == "Dispatched") dispatchedAt ??= t.GetProperty("at").GetDateTimeOffset();
                if (to == "Running") runningAt ??= t.GetProperty("at").GetDateTimeOffset();
            }
            if (queuedAt is null || runningAt is null) throw new InvalidOperationException($"{label} probe {id} lacks a Queued or Running transition");
            latencies.Add((runningAt.Value - queuedAt.Value).TotalSeconds);
            if (dispatchedAt is not null) toDispatched.Add((dispatchedAt.Value - queuedAt.Value).TotalSeconds);
            if (dispatchedAt is not null && agentStartedAt is not null) toAgent.Add((agentStartedAt.Value - dispatchedAt.Value).TotalSeconds);
            Console.WriteLine($"  {label} {i + 1}/{n}: {latencies[^1] * 1000:0.0} ms");
        }
        if (toDispatched.Count > 0) dispatchShare[label] = Distribution.Of(toDispatched);
        if (toAgent.Count > 0) agentShare[label] = Distribution.Of(toAgent);
        return Distribution.Of(latencies);
    }

    /// <summary>
    /// Queued → Dispatched of each probe series: the submission's way to the dispatch pass that places it (the Dispatched
    /// transition carries the pass's start time). The rest, Dispatched → Running, is that pass's own reads and writes, the
    /// message to the agent, its handling (the simulated agents share the bench's process with the whole fleet) and its
    /// start report's way back.
    /// </summary>
    private readonly Dictionary<string, Distribution> dispatchShare = [];

    /// <summary>Dispatched → the agent's start (its own timestamp): the message's trip to the agent and its handling.</summary>
    private readonly Dictionary<string, Distribution> agentShare = [];

    private string Split(string label, Distribution total)
    {
        if (!dispatchShare.TryGetValue(label, out var d)) return "";
        var text = $"; Queued → Dispatched p50 {d.Median * 1000:0.0} ms (to the start of the pass that placed it), Dispatched → Running ≈ {(total.Median - d.Median) * 1000:0.0} ms";
        return agentShare.TryGetValue(label, out var a)
            ? text + $" (Dispatched → the agent's start p50 {a.Median * 1000:0.0} ms: the pass itself, the message to the agent and its handling; the rest its start report's way back)"
            : text;
    }

    private static async Task WaitAnnouncedAsync(int count, CancellationToken ct)
    {
        var seen = await PollCountAsync("SELECT count(*) FROM agents WHERE pool = @pool AND NOT stopped AND last_seen_at > now() - interval '30 seconds'",
            ("pool", Pool), n => n >= count, ct);
        if (seen < count) throw new InvalidOperationException($"only {seen} of {count} simulated agents are known to the orchestrator after 5 minutes");
    }

    /// <summary>Waits until none of <paramref name="ids"/> is queued, dispatched, running or lost (awaiting its retry); how many still are after 5 minutes.</summary>
    private static Task<long> WaitFinishedAsync(List<Guid> ids, CancellationToken ct) =>
        PollCountAsync("SELECT count(*) FROM experiments WHERE id = ANY(@ids) AND status IN ('Queued', 'Dispatched', 'Running', 'Lost')",
            ("ids", ids.ToArray()), n => n == 0, ct);

    /// <summary>Polls a count in the platform database every half second until <paramref name="done"/> holds or 5 minutes pass; its last value.</summary>
    private static async Task<long> PollCountAsync(string sql, (string, object) arg, Func<long, bool> done, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var n = await PlatformEnv.ScalarAsync<long>(sql, ct, arg);
            if (done(n) || clock.Elapsed >= TimeSpan.FromMinutes(5)) return n;
            await Task.Delay(500, ct);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> done, TimeSpan timeout, string what, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed > timeout) throw new InvalidOperationException($"timed out after {timeout.TotalMinutes:0} minutes waiting for {what}");
            await Task.Delay(250, ct);
        }
    }
}
