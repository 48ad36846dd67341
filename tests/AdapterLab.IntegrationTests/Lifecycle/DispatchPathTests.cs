using System.Text.Json;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdapterLab.IntegrationTests.Lifecycle;

/// <summary>
/// A platform for the dispatch path (bench perf-dispatch): <c>training.dryRun</c> enabled, and the agent's blob
/// downloads (the first thing preparation does) held behind a gate that a test may close.
/// </summary>
public sealed class DispatchPathPlatform : PlatformFixture
{
    public BlobDownloadGate Gate { get; } = new();

    public override Task InitializeAsync()
    {
        Settings["ADAPTERLAB_ALLOW_DRY_RUN"] = "1";
        return base.InitializeAsync();
    }

    protected override void ConfigureHost(string name, WebApplicationBuilder builder)
    {
        if (name == "GpuAgent") builder.Services.ConfigureHttpClientDefaults(c => c.AddHttpMessageHandler(() => new BlobDownloadGate.Handler(Gate)));
    }
}

/// <summary>Holds the agent's blob downloads while closed (open by default).</summary>
public sealed class BlobDownloadGate
{
    private TaskCompletionSource _open = Opened();
    private int _waiting;

    /// <summary>Downloads waiting at the gate now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public void Close() => Volatile.Write(ref _open, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Open() => Volatile.Read(ref _open).TrySetResult();

    private static TaskCompletionSource Opened()
    {
        var t = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        t.SetResult();
        return t;
    }

    /// <summary>One per client pipeline (a handler instance cannot be shared); all share the gate.</summary>
    public sealed class Handler(BlobDownloadGate gate) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (request.Method == HttpMethod.Get && request.RequestUri?.AbsolutePath.Contains("/blobs/", StringComparison.Ordinal) == true)
            {
                Interlocked.Increment(ref gate._waiting);
                try
                {
                    await Volatile.Read(ref gate._open).Task.WaitAsync(ct);
                }
                finally
                {
                    Interlocked.Decrement(ref gate._waiting);
                }
            }
            return await base.SendAsync(request, ct);
        }
    }
}

/// <summary>
/// Submit → Running is the dispatch path alone: an attempt is Running as soon as its agent holds the slot, before it
/// fetches weights or builds a model (the facts preparation produces follow); a dry run goes through attempts and
/// leases without training; a long queue in a pool nobody serves never starves a pool with a free slot.
/// </summary>
public sealed class DispatchPathTests(DispatchPathPlatform platform) : IClassFixture<DispatchPathPlatform>
{
    private static object DryRun(int seed = 1, string pool = "cpu") => new
    {
        specVersion = 1,
        name = "dry run",
        kind = "pretrain",
        backbone = new { preset = "vit-tiny-ci", source = "random" },
        method = new { name = "supervised" },
        tasks = new[] { "classification" },
        data = new { dataset = "shapesworld", labelFamily = "largest-shape", sourceDomain = "synthetic", trainSize = 64, validationSize = 64, testSize = 64 },
        training = new { steps = 5, batchSize = 32, seed, dryRun = true },
        resources = new { pool },
    };

    [Fact]
    public async Task A_dispatched_experiment_shows_Running_before_its_preparation_completes()
    {
        var backbone = "gate-" + Guid.NewGuid().ToString("N")[..6];
        var pretrain = await platform.SubmitAsync(Specs.Pretrain(backbone, steps: 2));
        await platform.WaitForStatusAsync(pretrain, "Succeeded", TimeSpan.FromMinutes(4));

        platform.Gate.Close();
        try
        {
            var probe = await platform.SubmitAsync(Specs.Adapt(backbone, steps: 2));
            // The agent holds the attempt and waits at the gate for the backbone: preparation has not finished ...
            await Eventually.TrueAsync(() => Task.FromResult(platform.Gate.Waiting > 0), TimeSpan.FromMinutes(2), () => "the agent never started fetching the backbone");
            // ... and the experiment is Running all the same.
            var running = await platform.WaitForStatusAsync(probe, "Running", TimeSpan.FromSeconds(30));
            Assert.True(platform.Gate.Waiting > 0, "the download was released before the experiment showed Running");
            await using (var db = platform.Db())
            {
                var attempt = await db.Attempts.AsNoTracking().SingleAsync(a => a.ExperimentId == probe);
                Assert.Equal(ExperimentStatus.Running, attempt.Status);
                Assert.NotNull(attempt.StartedAt);
                // What is known at acceptance, not yet what preparation finds out (the device).
                using var provenance = JsonDocument.Parse(attempt.ProvenanceJson!);
                Assert.Equal("", provenance.RootElement.GetProperty("device").GetString());
                Assert.Equal(attempt.BackboneBlob, provenance.RootElement.GetProperty("backboneHash").GetString());
            }
            Assert.Equal("Running", running.GetProperty("status").GetString());

            platform.Gate.Open();
            await platform.WaitForStatusAsync(probe, "Succeeded", TimeSpan.FromMinutes(3));
            await using var check = platform.Db();
            await Eventually.TrueAsync(async () =>
            {
                var json = (await check.Attempts.AsNoTracking().SingleAsync(a => a.ExperimentId == probe)).ProvenanceJson;
                using var doc = JsonDocument.Parse(json ?? "{}");
                return doc.RootElement.TryGetProperty("device", out var device) && device.GetString() == "cpu";
            }, TimeSpan.FromSeconds(30), () => "the preparation's facts were never recorded");
            var done = await check.Attempts.AsNoTracking().SingleAsync(a => a.ExperimentId == probe);
            using var full = JsonDocument.Parse(done.ProvenanceJson!);
            Assert.Equal("cpu", full.RootElement.GetProperty("device").GetString());
            Assert.True(full.RootElement.GetProperty("packages").EnumerateObject().Count() > 2, "the torch packages came with the preparation");
            var e = await check.Experiments.AsNoTracking().SingleAsync(x => x.Id == probe);
            Assert.True(e.TrainableParameters > 0 && e.TotalParameters > e.TrainableParameters);
            var transitions = await check.StateTransitions.Where(t => t.ExperimentId == probe).OrderBy(t => t.Id).ToListAsync();
            TransitionChain.AssertUnbroken(transitions);
            Assert.Equal(["Queued", "Dispatched", "Running", "Succeeded"], transitions.Select(t => t.To));
        }
        finally
        {
            platform.Gate.Open();
        }
    }

    [Fact]
    public async Task A_dry_run_creates_attempt_and_lease_rows_and_trains_nothing()
    {
        var id = await platform.SubmitAsync(DryRun(seed: 11));
        var done = await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(1));
        Assert.Equal(0, done.GetProperty("results").GetArrayLength());

        await using var db = platform.Db();
        var attempt = await db.Attempts.AsNoTracking().SingleAsync(a => a.ExperimentId == id);
        Assert.Equal(1, attempt.Number);
        Assert.Equal(platform.AgentId, attempt.AgentId);
        Assert.Equal(ExperimentStatus.Succeeded, attempt.Status);
        Assert.True(attempt.LeaseExpiresAt > attempt.DispatchedAt, "the attempt had a lease");
        Assert.NotNull(attempt.StartedAt);
        // AttemptPrepared comes right after AttemptStarted and before AttemptSucceeded, but the orchestrator consumes
        // concurrently: when it loses a race it is retried and lands moments after the Succeeded.
        await Eventually.TrueAsync(async () =>
        {
            await using var later = platform.Db();
            return (await later.Attempts.AsNoTracking().SingleAsync(a => a.ExperimentId == id)).ProvenanceJson?.Contains("dry run") == true;
        }, TimeSpan.FromSeconds(30), () => "the dry run's AttemptPrepared was never recorded");

        var e = await db.Experiments.AsNoTracking().SingleAsync(x => x.Id == id);
        Assert.True(e.TrainableParameters > 0, "parameter counts from the catalogue");
        Assert.Null(e.OutputBlob);
        Assert.False(await db.MetricPoints.AnyAsync(p => p.ExperimentId == id));
        Assert.False(await db.Checkpoints.AnyAsync(c => c.ExperimentId == id));
        Assert.False(await db.FinalResults.AnyAsync(r => r.ExperimentId == id));
        var transitions = await db.StateTransitions.Where(t => t.ExperimentId == id).OrderBy(t => t.Id).ToListAsync();
        TransitionChain.AssertUnbroken(transitions);
        Assert.Equal(["Queued", "Dispatched", "Running", "Succeeded"], transitions.Select(t => t.To));
        Assert.Contains("dry run", transitions[^1].Reason);
    }

    [Fact]
    public async Task A_long_queue_in_a_pool_without_agents_does_not_starve_a_free_slot()
    {
        // More than a dispatch pass's window (1,000 per pool), all ahead in priority, in a pool no agent serves.
        var pool = "nowhere-" + Guid.NewGuid().ToString("N")[..6];
        await using (var db = platform.Db())
        {
            await db.Database.ExecuteSqlInterpolatedAsync($$"""
                INSERT INTO experiments (id, name, kind, method, preset, dataset, label_family, source_domain, target_domains, tasks, setting, seed, spec_json, spec_hash, configuration_hash, status, priority, pool, tags, submitted_at, updated_at, attempt_count, step, total_steps, trainable_parameters, total_parameters, cancel_requested, training_failure_retries)
                SELECT gen_random_uuid(), 'backlog', 'pretrain', 'supervised', 'vit-tiny-ci', 'shapesworld', 'largest-shape', 'synthetic', '{}', '{classification}', 'supervised', g, '{}'::jsonb, md5(g::text), md5(g::text), 'Queued', 100, {{pool}}, '{}', now() - interval '1 hour', now(), 0, 0, 1, 0, 0, false, 0
                FROM generate_series(1, 1100) AS g
                """);
        }
        try
        {
            var id = await platform.SubmitAsync(DryRun(seed: 12));
            await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(1));
            // The backlog got its reasons, positions counted within its own pool.
            await Eventually.TrueAsync(async () =>
            {
                await using var db = platform.Db();
                return await db.Experiments.CountAsync(e => e.Pool == pool && e.WaitingReason!.StartsWith($"no agent in pool {pool}; position")) >= 1000;
            }, TimeSpan.FromSeconds(30), () => "the backlog has no waiting reasons");
        }
        finally
        {
            await using var db = platform.Db();
            await db.Database.ExecuteSqlInterpolatedAsync($"DELETE FROM state_transitions WHERE experiment_id IN (SELECT id FROM experiments WHERE pool = {pool})");
            await db.Database.ExecuteSqlInterpolatedAsync($"DELETE FROM experiments WHERE pool = {pool}");
        }
    }
}
