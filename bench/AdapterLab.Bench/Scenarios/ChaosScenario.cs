using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AdapterLab.Bench.Perf;
using AdapterLab.Bench.Runner;
using AdapterLab.Contracts.Specs;
using Npgsql;

namespace AdapterLab.Bench.Scenarios;

/// <summary>
/// Chaos against the real local platform: a batch of small experiments (vit-tiny-ci on a random backbone, AdaptFormer
/// with dropout and full fine-tuning, a checkpoint every 10 steps) while the bench <c>kill -9</c>s agent processes at
/// targeted moments — while an attempt is being prepared (weights, model, data), mid-training between checkpoints, just
/// after a checkpoint file was written (upload / announce in flight) and after the last step (final evaluation, output
/// upload, the Succeeded report) — and starts each killed agent again (<c>./platform agent --detach</c>: same number, same id),
/// until every experiment is terminal. Then the same specs run once more without faults, and everything is checked in
/// PostgreSQL: no experiment lost, no duplicate metric point or result, no attempt of one experiment running on two
/// processes at once (sampled from the agents' own registries), work re-done per kill, and whether each interrupted
/// experiment ended bit-identical (metrics, curves, output weights hash) to its uninterrupted twin.
/// </summary>
public sealed class ChaosScenario(PlatformClient client, string resultsDir, bool quick) : IScenario
{
    public string Name => "chaos";

    private const int CheckpointInterval = 10;
    private const int BatchSize = 16;
    private static readonly string[] KillKinds = ["preparation", "mid-training", "checkpoint", "after-last-step"];

    private readonly int targetKills = quick ? 4 : 22;
    private readonly int initialExperiments = quick ? 3 : 10;
    private readonly int steps = quick ? 40 : 120;
    private readonly int agentCount = 2;
    private readonly Random random = new(20261124);
    private readonly object gate = new();
    private readonly Dictionary<(Guid, int), long> stepSeen = [];
    private readonly Dictionary<(Guid, int), long> firstStepSeen = [];
    private readonly Dictionary<(Guid, int), DateTime> checkpointWritten = [];
    private readonly List<Overlap> overlaps = [];
    private readonly Dictionary<Guid, (ExperimentSpec Spec, int Index)> submitted = [];
    private long samples;

    public async Task RunAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(resultsDir);
        using var agents = LocalAgents.FromEnvironment();
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var load0 = Measure.LoadAverage();
        var chaosLogs = Path.Combine(agents.LogDir, "chaos");
        Directory.CreateDirectory(chaosLogs);

        // Agents: agent-1 comes with ./platform up; the bench adds more so that work moves between processes.
        var extraStarted = new List<int>();
        while (agents.Live().Count < agentCount)
        {
            var (took, _) = await agents.StartAsync(ct);
            extraStarted.Add(agents.Live().Max(a => a.Number));
            Console.WriteLine($"[{Name}] started an agent ({took.TotalSeconds:0.0} s); live: {string.Join(", ", agents.Live().Select(a => a.Label))}");
        }

        for (int i = 0; i < initialExperiments; i++) await SubmitAsync(i, ct);
        Console.WriteLine($"[{Name}] submitted {initialExperiments} experiments ({steps} steps, checkpoint every {CheckpointInterval}); target {targetKills} kills");

        using var monitorStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var monitor = Task.Run(() => MonitorAsync(agents, monitorStop.Token), CancellationToken.None);

        var kills = new List<Kill>();
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(quick ? 30 : 150);
        string[] plan = [];
        while (DateTimeOffset.UtcNow < deadline)
        {
            var open = await OpenExperimentsAsync(ct);
            if (kills.Count >= targetKills && open == 0) break;
            if (kills.Count < targetKills)
            {
                // Keep work flowing until enough kills have landed: the batch grows by one when it runs dry.
                if (open < 2 && submitted.Count < initialExperiments * 3) await SubmitAsync(submitted.Count, ct);
                if (kills.Count % KillKinds.Length == 0) plan = KillKinds.OrderBy(_ => random.Next()).ToArray();
                var kill = await KillOnceAsync(agents, kills.Count + 1, plan[kills.Count % KillKinds.Length], chaosLogs, ct);
                if (kill is not null) kills.Add(kill);
            }
            else
            {
                await Task.Delay(2000, ct);
            }
        }
        var chaosSeconds = clock.Elapsed.TotalSeconds;
        var chaosIds = submitted.Keys.ToList();
        Console.WriteLine($"[{Name}] chaos phase over after {chaosSeconds:0} s: {kills.Count} kills; {await OpenExperimentsAsync(ct)} experiment(s) not terminal");

        // The same specs once more, nothing killed: every interrupted experiment gets an uninterrupted twin.
        var chaosRows = await ExperimentRowsAsync(chaosIds, ct);
        var twins = new Dictionary<Guid, Guid>();
        foreach (var row in chaosRows.Where(r => r.Status == "Succeeded"))
        {
            var (spec, index) = submitted[row.Id];
            twins[row.Id] = await client.SubmitAsync(spec with { Name = $"chaos #{index} (uninterrupted twin)", Tags = ["bench", "chaos", "chaos-twin"] }, ct);
        }
        Console.WriteLine($"[{Name}] running {twins.Count} uninterrupted twins");
        var twinDeadline = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(quick ? 20 : 60);
        while (DateTimeOffset.UtcNow < twinDeadline && (await ExperimentRowsAsync(twins.Values.ToList(), ct)).Any(r => !Terminal(r.Status)))
            await Task.Delay(2000, ct);
        await monitorStop.CancelAsync();
        await monitor;

        // Agents the bench added are stopped in order; agent-1 (./platform up's) stays.
        foreach (var a in agents.Live().Where(a => a.Number > 1)) LocalAgents.Terminate(a);

        var report = await AnalyseAsync(chaosIds, kills, twins, ct);
        var load1 = Measure.LoadAverage();
        var doc = new Dictionary<string, object?>
        {
            ["scenario"] = Name,
            ["quick"] = quick,
            ["machine"] = Machine.Describe(),
            ["loadAverage"] = new { start = load0, end = load1 },
            ["started"] = started.ToString("u", CultureInfo.InvariantCulture),
            ["chaosSeconds"] = Math.Round(chaosSeconds, 1),
            ["totalSeconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
            ["setup"] = new
            {
                agents = agentCount, slotsPerAgent = 1, steps, checkpointInterval = CheckpointInterval, batchSize = BatchSize,
                data = "ShapesWorld object-count, train 256 (textured), validation/test 64 × (textured, fog)",
                methods = new[] { Methods.AdaptFormer, Methods.FullFinetune }, backbone = "vit-tiny-ci, random (seeded)",
                maxAttempts = 20, targetKills, initialExperiments,
            },
        };
        foreach (var (k, v) in report) doc[k] = v;
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
        await File.WriteAllTextAsync(Path.Combine(resultsDir, "chaos.json"), JsonSerializer.Serialize(doc, options), ct);
        var md = Markdown(doc, report, kills, load0, load1);
        await File.WriteAllTextAsync(Path.Combine(resultsDir, "chaos.md"), md, ct);
        Console.WriteLine(md);
    }

    // ------------------------------------------------------------------------------------------------ experiments

    private ExperimentSpec Spec(int index) => new()
    {
        Name = $"chaos #{index}",
        Kind = Kinds.Adapt,
        Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Random },
        // AdaptFormer: dropout masks from the run's generator, SGD state; full fine-tuning: a bigger checkpoint, AdamW state.
        Method = new MethodSpec { Name = index % 2 == 0 ? Methods.AdaptFormer : Methods.FullFinetune },
        Data = new DataSpec { LabelFamily = "object-count", SourceDomain = "textured", TargetDomains = ["fog"], TrainSize = 256, ValidationSize = 64, TestSize = 64 },
        Training = new TrainingSpec { Steps = steps, BatchSize = BatchSize, Seed = 100 + index, EvalInterval = steps / 2, CheckpointInterval = CheckpointInterval },
        Retry = new RetrySpec { MaxAttempts = 20 },
        Tags = ["bench", "chaos"],
    };

    private async Task SubmitAsync(int index, CancellationToken ct)
    {
        var spec = Spec(index);
        var id = await client.SubmitAsync(spec, ct);
        lock (gate) submitted[id] = (spec, index);
    }

    private static bool Terminal(string status) => status is "Succeeded" or "Failed" or "Cancelled";

    private async Task<int> OpenExperimentsAsync(CancellationToken ct) =>
        (await ExperimentRowsAsync(submitted.Keys.ToList(), ct)).Count(r => !Terminal(r.Status));

    private sealed record ExperimentRow(Guid Id, string Status, long Step, long TotalSteps, int AttemptCount, string? OutputBlob, string? FailureReason);

    private static async Task<List<ExperimentRow>> ExperimentRowsAsync(List<Guid> ids, CancellationToken ct)
    {
        await using var conn = await PlatformEnv.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT id, status, step, total_steps, attempt_count, output_blob, failure_reason FROM experiments WHERE id = ANY(@ids)", conn);
        cmd.Parameters.AddWithValue("ids", ids.ToArray());
        var rows = new List<ExperimentRow>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            rows.Add(new(r.GetGuid(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetInt32(4), r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6)));
        return rows;
    }

    // ------------------------------------------------------------------------------------------------ sampling

    private sealed record Overlap(DateTimeOffset At, Guid ExperimentId, string Where);

    private void Observe(AgentProcess agent, IReadOnlyList<AgentAttempt> running)
    {
        lock (gate)
        {
            foreach (var a in running)
            {
                var key = (a.ExperimentId, a.AttemptNumber);
                stepSeen[key] = Math.Max(stepSeen.GetValueOrDefault(key), a.Step);
                firstStepSeen.TryAdd(key, a.Step);
            }
        }
    }

    /// <summary>
    /// Every 200 ms: what every live agent process says it runs. One experiment in the registries of two live processes
    /// at once is a double run (whatever the database believes).
    /// </summary>
    private async Task MonitorAsync(LocalAgents agents, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var seen = new Dictionary<Guid, List<string>>();
            foreach (var agent in agents.Live())
            {
                var running = await agents.RunningAsync(agent, ct);
                if (running is null) continue;
                Observe(agent, running);
                foreach (var a in running)
                {
                    if (!seen.TryGetValue(a.ExperimentId, out var list)) seen[a.ExperimentId] = list = [];
                    list.Add($"{agent.Label} attempt {a.AttemptNumber} step {a.Step}");
                }
            }
            lock (gate)
            {
                samples++;
                foreach (var (id, where) in seen.Where(kv => kv.Value.Count > 1))
                {
                    overlaps.Add(new Overlap(DateTimeOffset.UtcNow, id, string.Join("; ", where)));
                    Console.WriteLine($"  !! experiment {id} running twice: {string.Join("; ", where)}");
                }
            }
            try { await Task.Delay(200, ct); } catch (OperationCanceledException) { break; }
        }
    }

    // ------------------------------------------------------------------------------------------------ killing

    private sealed record Victim(Guid ExperimentId, int AttemptNumber, long Step);

    private sealed record Kill(int Index, string Kind, bool Targeted, int Agent, int Pid, DateTimeOffset At, double DelayMs, IReadOnlyList<Victim> Running,
        double RestartSeconds, double DownSeconds);

    /// <summary>
    /// Waits for the kind's moment on some agent (polling the agents' registries every 50 ms), waits a random delay,
    /// kill -9s that agent, then starts it again after a random pause. A moment that does not come within 90 s becomes a
    /// kill at a random moment (recorded as untargeted).
    /// </summary>
    private async Task<Kill?> KillOnceAsync(LocalAgents agents, int index, string kind, string chaosLogs, CancellationToken ct)
    {
        var known = new HashSet<(Guid, int)>();
        foreach (var a in agents.Live())
            foreach (var r in await agents.RunningAsync(a, ct) ?? [])
                known.Add((r.ExperimentId, r.AttemptNumber));
        var until = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(150);
        AgentProcess? target = null;
        bool targeted = true;
        while (target is null)
        {
            if (DateTimeOffset.UtcNow > until)
            {
                targeted = false;
                var live = agents.Live();
                if (live.Count == 0) return null;
                target = live[random.Next(live.Count)];
                break;
            }
            foreach (var agent in agents.Live())
            {
                var running = await agents.RunningAsync(agent, ct);
                if (running is null) continue;
                Observe(agent, running);
                if (running.Any(r => Moment(agents, kind, r, known))) { target = agent; break; }
            }
            if (target is null) await Task.Delay(50, ct);
        }

        double delayMs = !targeted ? 0 : kind switch
        {
            "preparation" => random.Next(0, 1500),
            "mid-training" => random.Next(0, 300),
            "checkpoint" => random.Next(0, 30),
            _ => random.Next(0, 250),
        };
        if (delayMs > 0) await Task.Delay(TimeSpan.FromMilliseconds(delayMs), ct);
        var before = await agents.RunningAsync(target, ct) ?? [];
        Observe(target, before);
        LocalAgents.Kill9(target);
        var at = DateTimeOffset.UtcNow;
        var victims = before.Select(r => new Victim(r.ExperimentId, r.AttemptNumber, r.Step)).ToList();
        Console.WriteLine($"  kill {index} ({kind}{(targeted ? "" : ", moment not reached: random")}): {target.Label} after {delayMs:0} ms, running {string.Join(", ", victims.Select(Describe))}");
        var log = Path.Combine(agents.LogDir, $"agent-{target.Number}.log");
        if (File.Exists(log)) File.Copy(log, Path.Combine(chaosLogs, $"kill-{index:00}-agent-{target.Number}.log"), overwrite: true);

        var pause = random.Next(0, 2500);
        await Task.Delay(pause, ct);
        var (took, _) = await agents.StartAsync(ct);
        return new Kill(index, kind, targeted, target.Number, target.Pid, at, delayMs, victims, Math.Round(took.TotalSeconds, 2), Math.Round(pause / 1000.0 + took.TotalSeconds, 2));
    }

    /// <summary>"chaos #3, attempt 2 at step 40".</summary>
    private string Describe(Victim v)
    {
        lock (gate) return $"#{(submitted.TryGetValue(v.ExperimentId, out var s) ? s.Index.ToString(CultureInfo.InvariantCulture) : v.ExperimentId.ToString())} attempt {v.AttemptNumber} at step {v.Step}";
    }

    private bool Moment(LocalAgents agents, string kind, AgentAttempt r, HashSet<(Guid, int)> known)
    {
        long total;
        long first;
        lock (gate)
        {
            if (!submitted.TryGetValue(r.ExperimentId, out var s)) return false;
            total = s.Spec.Training.Steps ?? 0;
            first = firstStepSeen.GetValueOrDefault((r.ExperimentId, r.AttemptNumber), r.Step);
        }
        long phase = r.Step % CheckpointInterval;
        return kind switch
        {
            // An attempt this agent accepted since the wait began: downloads, model build, data rendering.
            "preparation" => !known.Contains((r.ExperimentId, r.AttemptNumber)),
            "mid-training" => r.Step >= first + 3 && r.Step < total && phase >= CheckpointInterval / 4 && phase <= 3 * CheckpointInterval / 4,
            // A checkpoint file just (re)written by this attempt (seen within one 50 ms poll): its upload and
            // CheckpointSaved are in flight, before the next step.
            "checkpoint" => r.Step > first && r.Step < total && phase == 0 && FreshCheckpoint(agents, r),
            // Past the last step: final evaluation, last checkpoint, output upload, AttemptSucceeded.
            _ => r.Step >= total && total > 0,
        };
    }

    /// <summary>True the first time the attempt's checkpoint file is seen with a newer write time than before.</summary>
    private bool FreshCheckpoint(LocalAgents agents, AgentAttempt r)
    {
        var file = agents.AttemptFile(r.ExperimentId, r.AttemptNumber, "checkpoint.safetensors");
        if (file is null) return false;
        var written = File.GetLastWriteTimeUtc(file);
        lock (gate)
        {
            bool fresh = checkpointWritten.TryGetValue((r.ExperimentId, r.AttemptNumber), out var before) ? written > before : r.Step > 0;
            checkpointWritten[(r.ExperimentId, r.AttemptNumber)] = written;
            return fresh && DateTime.UtcNow - written < TimeSpan.FromMilliseconds(500);
        }
    }

    // ------------------------------------------------------------------------------------------------ analysis

    private sealed record AttemptRow(Guid ExperimentId, int Number, string AgentId, string Status, DateTimeOffset DispatchedAt, DateTimeOffset? StartedAt,
        DateTimeOffset? FinishedAt, DateTimeOffset? LastHeartbeatAt, long Step, long StartStep, string? FailureReason);

    private async Task<Dictionary<string, object?>> AnalyseAsync(List<Guid> ids, List<Kill> kills, Dictionary<Guid, Guid> twins, CancellationToken ct)
    {
        await using var conn = await PlatformEnv.OpenAsync(ct);
        var experiments = await ExperimentRowsAsync(ids, ct);
        var attempts = new List<AttemptRow>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT experiment_id, number, agent_id, status, dispatched_at, started_at, finished_at, last_heartbeat_at, step, start_step, failure_reason
            FROM attempts WHERE experiment_id = ANY(@ids) ORDER BY experiment_id, number
            """, conn))
        {
            cmd.Parameters.AddWithValue("ids", ids.ToArray());
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                attempts.Add(new(r.GetGuid(0), r.GetInt32(1), r.GetString(2), r.GetString(3), r.GetFieldValue<DateTimeOffset>(4),
                    r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5), r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(6),
                    r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7), r.GetInt64(8), r.GetInt64(9), r.IsDBNull(10) ? null : r.GetString(10)));
        }
        var byExperiment = attempts.GroupBy(a => a.ExperimentId).ToDictionary(g => g.Key, g => g.OrderBy(a => a.Number).ToList());

        // Duplicates, straight from the tables (the unique keys should make every count 0; these queries check the outcome).
        async Task<long> Count(string sql)
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            if (sql.Contains("@ids", StringComparison.Ordinal)) cmd.Parameters.AddWithValue("ids", ids.ToArray());
            return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        }
        var duplicates = new Dictionary<string, long>
        {
            ["metricPointsSameKey"] = await Count("SELECT count(*) FROM (SELECT 1 FROM metric_points WHERE experiment_id = ANY(@ids) GROUP BY experiment_id, name, split, task, domain, step HAVING count(*) > 1) d"),
            ["finalResultsSameKey"] = await Count("SELECT count(*) FROM (SELECT 1 FROM final_results WHERE experiment_id = ANY(@ids) GROUP BY experiment_id, split, task, domain, metric HAVING count(*) > 1) d"),
            ["finalResultsFromAnotherAttempt"] = await Count("SELECT count(*) FROM final_results f JOIN attempts a ON a.experiment_id = f.experiment_id AND a.status = 'Succeeded' WHERE f.experiment_id = ANY(@ids) AND f.attempt_number <> a.number"),
            ["experimentsWithTwoSucceededAttempts"] = await Count("SELECT count(*) FROM (SELECT 1 FROM attempts WHERE experiment_id = ANY(@ids) AND status = 'Succeeded' GROUP BY experiment_id HAVING count(*) > 1) d"),
            ["experimentsSucceededTwice"] = await Count("SELECT count(*) FROM (SELECT 1 FROM state_transitions WHERE experiment_id = ANY(@ids) AND \"to\" = 'Succeeded' GROUP BY experiment_id HAVING count(*) > 1) d"),
            ["experimentsWithTwoOutputs"] = await Count("SELECT count(*) FROM (SELECT 1 FROM checkpoints WHERE experiment_id = ANY(@ids) AND kind = 'final' GROUP BY experiment_id HAVING count(*) > 1) d"),
        };
        // Completeness: every step's training loss once, 1…N, for every succeeded experiment.
        var lossGaps = new List<object>();
        foreach (var e in experiments.Where(e => e.Status == "Succeeded"))
        {
            await using var cmd = new NpgsqlCommand("SELECT count(*), count(DISTINCT step), min(step), max(step) FROM metric_points WHERE experiment_id = @e AND name = 'loss' AND split = 'train'", conn);
            cmd.Parameters.AddWithValue("e", e.Id);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            long n = r.GetInt64(0), distinct = r.GetInt64(1), min = r.IsDBNull(2) ? 0 : r.GetInt64(2), max = r.IsDBNull(3) ? 0 : r.GetInt64(3);
            if (n != e.TotalSteps || distinct != e.TotalSteps || min != 1 || max != e.TotalSteps)
                lossGaps.Add(new { experiment = e.Id, points = n, distinct, min, max, expected = e.TotalSteps });
        }
        long orphanChunks = await Count("SELECT count(DISTINCT hash) FROM blob_chunks c WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.hash = c.hash)");

        // Double runs as the database records them: an attempt's last heartbeat after the next attempt had started.
        var dbOverlaps = new List<object>();
        foreach (var (id, list) in byExperiment)
            for (int i = 0; i + 1 < list.Count; i++)
                if (list[i].LastHeartbeatAt is { } beat && list[i + 1].StartedAt is { } next && beat > next)
                    dbOverlaps.Add(new { experiment = id, attempt = list[i].Number, lastHeartbeat = beat, nextStarted = next });

        // Work re-done: steps an attempt computed beyond the step the next attempt of its experiment resumed from.
        var perAttempt = new List<object>();
        long redoneTotal = 0;
        var redoneByKill = new Dictionary<int, long>();
        int resumedFromLatest = 0, resumedTotal = 0;
        foreach (var (id, list) in byExperiment)
        {
            for (int i = 0; i < list.Count; i++)
            {
                var a = list[i];
                long last;
                lock (gate) last = Math.Max(a.Step, stepSeen.GetValueOrDefault((id, a.Number)));
                var next = list.Skip(i + 1).FirstOrDefault(n => n.StartedAt is not null);
                long? redone = a.Status == "Lost" && next is not null ? Math.Max(0, last - next.StartStep) : null;
                if (redone is { } rd)
                {
                    redoneTotal += rd;
                    var kill = kills.LastOrDefault(k => k.Running.Any(v => v.ExperimentId == id && v.AttemptNumber == a.Number));
                    if (kill is not null) redoneByKill[kill.Index] = redoneByKill.GetValueOrDefault(kill.Index) + rd;
                }
                if (a.StartStep > 0 || i > 0)
                {
                    // Did it resume from the newest checkpoint recorded before it was dispatched?
                    await using var cmd = new NpgsqlCommand("SELECT coalesce(max(step), 0) FROM checkpoints WHERE experiment_id = @e AND kind = 'resume' AND created_at <= @t", conn);
                    cmd.Parameters.AddWithValue("e", id);
                    cmd.Parameters.AddWithValue("t", a.DispatchedAt);
                    long newest = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
                    if (a.StartedAt is not null)
                    {
                        resumedTotal++;
                        if (a.StartStep >= newest) resumedFromLatest++;
                    }
                }
                perAttempt.Add(new { experiment = id, attempt = a.Number, agent = a.AgentId, status = a.Status, startStep = a.StartStep, lastStep = last, redone, reason = a.FailureReason });
            }
        }

        // Twins: final metrics, every metric point and the output weights of each interrupted experiment against its uninterrupted twin.
        var comparisons = new List<Comparison>();
        var twinRows = (await ExperimentRowsAsync(twins.Values.ToList(), ct)).ToDictionary(r => r.Id);
        foreach (var e in experiments.Where(e => twins.ContainsKey(e.Id)))
        {
            var twin = twinRows.GetValueOrDefault(twins[e.Id]);
            if (twin is null || twin.Status != "Succeeded") { comparisons.Add(new Comparison(e.Id, twins[e.Id], e.AttemptCount, false, 0, 0, double.NaN, 0, 0, double.NaN, false)); continue; }
            var mine = await ValuesAsync(conn, "SELECT split || '/' || task || '/' || domain || '/' || metric, value FROM final_results WHERE experiment_id = @e", e.Id, ct);
            var theirs = await ValuesAsync(conn, "SELECT split || '/' || task || '/' || domain || '/' || metric, value FROM final_results WHERE experiment_id = @e", twin.Id, ct);
            var myPoints = await ValuesAsync(conn, "SELECT name || '/' || split || '/' || task || '/' || domain || '/' || step, value FROM metric_points WHERE experiment_id = @e", e.Id, ct);
            var theirPoints = await ValuesAsync(conn, "SELECT name || '/' || split || '/' || task || '/' || domain || '/' || step, value FROM metric_points WHERE experiment_id = @e", twin.Id, ct);
            var (rEqual, rMax) = Compare(mine, theirs);
            var (pEqual, pMax) = Compare(myPoints, theirPoints);
            bool resumed = byExperiment.TryGetValue(e.Id, out var l) && l.Any(a => a.StartStep > 0);
            comparisons.Add(new Comparison(e.Id, twin.Id, e.AttemptCount, resumed, rEqual, Math.Max(mine.Count, theirs.Count), rMax, pEqual, Math.Max(myPoints.Count, theirPoints.Count), pMax,
                e.OutputBlob is not null && e.OutputBlob == twin.OutputBlob));
        }

        // Where each kill landed, from what the platform recorded about its victims afterwards.
        var outcomes = new List<object>();
        int ckptRecorded = 0, ckptNot = 0, lastSucceeded = 0, lastLost = 0, prepStarted = 0, prepNot = 0;
        foreach (var k in kills)
        {
            foreach (var v in k.Running)
            {
                var a = byExperiment.GetValueOrDefault(v.ExperimentId)?.FirstOrDefault(x => x.Number == v.AttemptNumber);
                bool? recorded = null;
                if (k.Kind == "checkpoint" && v.Step > 0 && v.Step % CheckpointInterval == 0)
                {
                    await using var cmd = new NpgsqlCommand("SELECT count(*) FROM checkpoints WHERE experiment_id = @e AND attempt_number = @n AND step = @s AND kind = 'resume'", conn);
                    cmd.Parameters.AddWithValue("e", v.ExperimentId);
                    cmd.Parameters.AddWithValue("n", v.AttemptNumber);
                    cmd.Parameters.AddWithValue("s", v.Step);
                    recorded = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) > 0;
                    if (recorded == true) ckptRecorded++; else ckptNot++;
                }
                if (k.Kind == "after-last-step" && a is not null) { if (a.Status == "Succeeded") lastSucceeded++; else lastLost++; }
                if (k.Kind == "preparation" && a is not null) { if (a.StartedAt is not null && a.Step > a.StartStep) prepStarted++; else prepNot++; }
                outcomes.Add(new { kill = k.Index, k.Kind, experiment = v.ExperimentId, attempt = v.AttemptNumber, step = v.Step, attemptStatus = a?.Status, reportedRunning = a?.StartedAt is not null, checkpointOfThatStepRecorded = recorded });
            }
        }

        var attemptsPerExperiment = experiments.Select(e => e.AttemptCount).ToList();
        List<Overlap> sampled;
        long sampleCount;
        lock (gate) { sampled = overlaps.ToList(); sampleCount = samples; }
        var killedAttempts = kills.Sum(k => k.Running.Count);
        return new Dictionary<string, object?>
        {
            ["kills"] = new
            {
                done = kills.Count,
                targeted = kills.Count(k => k.Targeted),
                byKind = KillKinds.ToDictionary(k => k, k => kills.Count(x => x.Kind == k)),
                attemptsKilled = killedAttempts,
                killsOfAnIdleAgent = kills.Count(k => k.Running.Count == 0),
                restartSecondsMedian = Math.Round(Median(kills.Select(k => k.RestartSeconds)), 2),
                landed = new
                {
                    checkpointRecordedBeforeDeath = ckptRecorded, checkpointNotRecorded = ckptNot,
                    afterLastStepAttemptSucceededAnyway = lastSucceeded, afterLastStepAttemptLost = lastLost,
                    preparationAfterTrainingBegan = prepStarted, preparationBeforeFirstStep = prepNot,
                },
                list = kills,
                outcomes,
            },
            ["experiments"] = new
            {
                submitted = experiments.Count,
                succeeded = experiments.Count(e => e.Status == "Succeeded"),
                failed = experiments.Count(e => e.Status == "Failed"),
                cancelled = experiments.Count(e => e.Status == "Cancelled"),
                notTerminal = experiments.Count(e => !Terminal(e.Status)),
                failures = experiments.Where(e => e.Status == "Failed").Select(e => new { e.Id, e.FailureReason }),
                attemptsPerExperiment = new { min = attemptsPerExperiment.DefaultIfEmpty().Min(), median = Median(attemptsPerExperiment.Select(x => (double)x)), max = attemptsPerExperiment.DefaultIfEmpty().Max(), histogram = attemptsPerExperiment.GroupBy(x => x).OrderBy(g => g.Key).ToDictionary(g => g.Key.ToString(CultureInfo.InvariantCulture), g => g.Count()) },
                attempts = attempts.Count,
                lostAttempts = attempts.Count(a => a.Status == "Lost"),
            },
            ["workRedone"] = new
            {
                steps = redoneTotal,
                perKill = kills.Count == 0 ? 0 : Math.Round((double)redoneTotal / kills.Count, 1),
                perKilledAttempt = killedAttempts == 0 ? 0 : Math.Round((double)redoneTotal / killedAttempts, 1),
                maxPerKill = redoneByKill.Values.DefaultIfEmpty().Max(),
                byKind = KillKinds.ToDictionary(k => k, k => kills.Where(x => x.Kind == k).Sum(x => redoneByKill.GetValueOrDefault(x.Index))),
                bound = $"checkpoint interval {CheckpointInterval} steps; the last step of a killed attempt is the highest the platform or the bench's sampling saw (a lower bound)",
                resumedFromNewestCheckpoint = new { attempts = resumedTotal, fromNewest = resumedFromLatest },
            },
            ["duplicates"] = duplicates,
            ["lossCurveGaps"] = lossGaps,
            ["orphanBlobChunks"] = orphanChunks,
            ["concurrentRuns"] = new { sampledOverlaps = sampled.Count, samples = sampleCount, sampleIntervalMs = 200, databaseOverlaps = dbOverlaps.Count, sampled, database = dbOverlaps },
            ["twins"] = new
            {
                compared = comparisons.Count,
                interrupted = comparisons.Count(c => c.Attempts > 1),
                resumedFromCheckpoint = comparisons.Count(c => c.Resumed),
                finalResultsBitIdentical = comparisons.Count(c => c.ResultsTotal > 0 && c.ResultsEqual == c.ResultsTotal),
                metricPointsBitIdentical = comparisons.Count(c => c.PointsTotal > 0 && c.PointsEqual == c.PointsTotal),
                outputWeightsIdentical = comparisons.Count(c => c.SameOutput),
                maxFinalResultDifference = comparisons.Select(c => c.ResultsMaxDiff).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max(),
                maxMetricPointDifference = comparisons.Select(c => c.PointsMaxDiff).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max(),
                list = comparisons,
            },
            ["attempts"] = perAttempt,
        };
    }

    private sealed record Comparison(Guid Experiment, Guid Twin, int Attempts, bool Resumed, int ResultsEqual, int ResultsTotal, double ResultsMaxDiff,
        int PointsEqual, int PointsTotal, double PointsMaxDiff, bool SameOutput);

    private static async Task<Dictionary<string, double>> ValuesAsync(NpgsqlConnection conn, string sql, Guid id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue("e", id);
        var values = new Dictionary<string, double>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) values[r.GetString(0)] = r.GetDouble(1);
        return values;
    }

    /// <summary>Keys present in both with bit-identical values, and the largest absolute difference (∞ when a key is missing on one side).</summary>
    private static (int Equal, double MaxDiff) Compare(Dictionary<string, double> a, Dictionary<string, double> b)
    {
        int equal = 0;
        double max = a.Count == b.Count && a.Keys.All(b.ContainsKey) ? 0 : double.PositiveInfinity;
        foreach (var (k, v) in a)
        {
            if (!b.TryGetValue(k, out var w)) continue;
            if (BitConverter.DoubleToInt64Bits(v) == BitConverter.DoubleToInt64Bits(w)) equal++;
            max = Math.Max(max, Math.Abs(v - w));
        }
        return (equal, max);
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToList();
        return v.Count == 0 ? double.NaN : v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }

    // ------------------------------------------------------------------------------------------------ report

    private string Markdown(Dictionary<string, object?> doc, Dictionary<string, object?> report, List<Kill> kills, double[] load0, double[] load1)
    {
        var json = JsonSerializer.SerializeToElement(report, new JsonSerializerOptions(JsonSerializerDefaults.Web) { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
        JsonElement P(string path)
        {
            var e = json;
            foreach (var part in path.Split('.')) e = e.GetProperty(part);
            return e;
        }
        string S(string path) => P(path).ToString();
        var md = new StringBuilder();
        md.AppendLine($"# Chaos: kill -9 of agents during real runs{(quick ? " (--quick)" : "")}");
        md.AppendLine();
        md.AppendLine($"`./platform bench chaos{(quick ? " --quick" : "")}` on the local platform, {doc["started"]}: {agentCount} agents (1 slot each), " +
                      $"{S("experiments.submitted")} experiments (vit-tiny-ci on a random seeded backbone, AdaptFormer with dropout 0.1 / full fine-tuning in turn, " +
                      $"{steps} steps, batch {BatchSize}, train / validation / test 256 / 64 / 64 images, checkpoint every {CheckpointInterval} steps, `retry.maxAttempts` 20). Load average {string.Join(" / ", load0)} at start, " +
                      $"{string.Join(" / ", load1)} at end; chaos phase {doc["chaosSeconds"]} s, total {doc["totalSeconds"]} s.");
        md.AppendLine();
        md.AppendLine("| check | result | must be |");
        md.AppendLine("|---|---|---|");
        md.AppendLine($"| kills (kill -9, agent started again each time) | {S("kills.done")} ({S("kills.targeted")} at their targeted moment; {S("kills.attemptsKilled")} attempts killed) | ≥ {targetKills} |");
        md.AppendLine($"| experiments submitted / succeeded / failed / not terminal (lost) | {S("experiments.submitted")} / {S("experiments.succeeded")} / {S("experiments.failed")} / {S("experiments.notTerminal")} | all succeed, 0 lost |");
        md.AppendLine($"| attempts per experiment (min / median / max) | {S("experiments.attemptsPerExperiment.min")} / {S("experiments.attemptsPerExperiment.median")} / {S("experiments.attemptsPerExperiment.max")} (histogram {P("experiments.attemptsPerExperiment.histogram")}) | |");
        md.AppendLine($"| steps re-done after resume: total / per kill / per killed attempt / worst kill | {S("workRedone.steps")} / {S("workRedone.perKill")} / {S("workRedone.perKilledAttempt")} / {S("workRedone.maxPerKill")} | ≤ {CheckpointInterval} (one checkpoint interval) per killed attempt |");
        md.AppendLine($"| attempts resumed from the newest checkpoint recorded before their dispatch | {S("workRedone.resumedFromNewestCheckpoint.fromNewest")} of {S("workRedone.resumedFromNewestCheckpoint.attempts")} | all |");
        var dup = P("duplicates");
        md.AppendLine($"| duplicate metric points / final results (same key) | {dup.GetProperty("metricPointsSameKey")} / {dup.GetProperty("finalResultsSameKey")} | 0 / 0 |");
        md.AppendLine($"| final results written by another attempt than the succeeded one | {dup.GetProperty("finalResultsFromAnotherAttempt")} | 0 |");
        md.AppendLine($"| experiments with 2 succeeded attempts / 2 Succeeded transitions / 2 output checkpoints | {dup.GetProperty("experimentsWithTwoSucceededAttempts")} / {dup.GetProperty("experimentsSucceededTwice")} / {dup.GetProperty("experimentsWithTwoOutputs")} | 0 / 0 / 0 |");
        md.AppendLine($"| succeeded experiments whose loss curve is not exactly steps 1…N once each | {P("lossCurveGaps").GetArrayLength()} | 0 |");
        md.AppendLine($"| experiments seen running on two live agent processes at once (sampled every 200 ms, {S("concurrentRuns.samples")} samples) | {S("concurrentRuns.sampledOverlaps")} | 0 |");
        md.AppendLine($"| attempts heartbeating after the next attempt of their experiment had started (database) | {S("concurrentRuns.databaseOverlaps")} | 0 |");
        md.AppendLine($"| interrupted experiments whose final metrics equal their uninterrupted twin's bit for bit | {S("twins.finalResultsBitIdentical")} of {S("twins.compared")} ({S("twins.resumedFromCheckpoint")} resumed from a checkpoint); max difference {S("twins.maxFinalResultDifference")} | all, 0 |");
        md.AppendLine($"| … every metric point (loss per step, evaluations) bit-identical | {S("twins.metricPointsBitIdentical")} of {S("twins.compared")}; max difference {S("twins.maxMetricPointDifference")} | all, 0 |");
        md.AppendLine($"| … output weights (sha256 of the exported safetensors) identical | {S("twins.outputWeightsIdentical")} of {S("twins.compared")} | all |");
        md.AppendLine($"| blob chunks left without a blob (uploads cut off by a kill) | {S("orphanBlobChunks")} | (reported) |");
        md.AppendLine();
        md.AppendLine("Kill moments (the bench polls the agents' own registries, `GET /` on their health port, every 50 ms):");
        md.AppendLine();
        md.AppendLine("| moment | kills | steps re-done | what was in flight |");
        md.AppendLine("|---|---|---|---|");
        foreach (var k in KillKinds)
            md.AppendLine($"| {k} | {P("kills.byKind").GetProperty(k)} | {P("workRedone.byKind").GetProperty(k)} | {KindText(k)} |");
        var landed = P("kills.landed");
        md.AppendLine();
        md.AppendLine($"Where the kills landed, from what the platform recorded about their victims: preparation kills before the attempt's first step {landed.GetProperty("preparationBeforeFirstStep")}, after it {landed.GetProperty("preparationAfterTrainingBegan")}; " +
                      $"checkpoint kills whose checkpoint was not yet recorded (upload or announcement cut off) {landed.GetProperty("checkpointNotRecorded")}, already recorded {landed.GetProperty("checkpointRecordedBeforeDeath")}; " +
                      $"after-last-step kills that cost the attempt {landed.GetProperty("afterLastStepAttemptLost")}, that came after its Succeeded report {landed.GetProperty("afterLastStepAttemptSucceededAnyway")}.");
        md.AppendLine();
        md.AppendLine($"Restarting a killed agent (`./platform agent --detach`, same number and id, until `/health/ready`): median {S("kills.restartSecondsMedian")} s. " +
                      "An attempt on a killed agent is declared lost when its lease (four heartbeats) expires and is requeued as a new attempt that resumes from " +
                      "the latest checkpoint; the run's randomness (initialisation, dropout masks per step, data order) is a function of its seed and step only, " +
                      "so the resumed run repeats the uninterrupted one exactly.");
        md.AppendLine();
        md.AppendLine("| # | moment | agent | delay (ms) | attempts killed (chaos experiment #) | agent down (s) |");
        md.AppendLine("|---|---|---|---|---|---|");
        foreach (var k in kills)
            md.AppendLine($"| {k.Index} | {k.Kind}{(k.Targeted ? "" : " (not reached: random moment)")} | agent-{k.Agent} | {k.DelayMs:0} | {string.Join(", ", k.Running.Select(Describe))} | {k.DownSeconds:0.0} |");
        md.AppendLine();
        md.AppendLine("Details (every attempt, every kill, every comparison): [chaos.json](chaos.json).");
        return md.ToString();
    }

    private static string KindText(string kind) => kind switch
    {
        "preparation" => "0–1.5 s after the agent accepted a new attempt: weights download, model build, training data rendering",
        "mid-training" => "a random step between two checkpoints",
        "checkpoint" => "0–30 ms after the bench saw a fresh checkpoint file (polled every 50 ms): its upload through the web API, CheckpointSaved",
        _ => "after the last step: final evaluation, last checkpoint, output upload, AttemptSucceeded",
    };
}
