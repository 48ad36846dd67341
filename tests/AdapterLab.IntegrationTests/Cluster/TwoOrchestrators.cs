using AdapterLab.Contracts.Lifecycle;
using AdapterLab.IntegrationTests.Faults;
using AdapterLab.IntegrationTests.Infrastructure;
using AdapterLab.Orchestrator.Checkpoints;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AdapterLab.IntegrationTests.Cluster;

/// <summary>
/// Two orchestrator replicas on one database and one broker (the cluster runs two), with blob GC every 3 s: work
/// dispatched exactly once, a lost agent reaped once, every blob that results or resumes need kept.
/// </summary>
public sealed class TwoOrchestratorPlatform : PlatformFixture
{
    public IServiceProvider SecondOrchestrator { get; private set; } = null!;

    protected override bool StartsInProcessAgent => false;

    public override async Task InitializeAsync()
    {
        Settings["Orchestrator:LeaseHeartbeats"] = "5";
        Settings["Orchestrator:BlobGcIntervalMinutes"] = "0.05";
        Settings["Orchestrator:BlobGcGraceMinutes"] = "0.05";
        await base.InitializeAsync();
        SecondOrchestrator = await StartOrchestratorAsync();
    }
}

public sealed class TwoOrchestrators(TwoOrchestratorPlatform platform) : IClassFixture<TwoOrchestratorPlatform>
{
    [Fact]
    public async Task Dispatch_reaping_retention_and_gc_are_safe_with_two_replicas()
    {
        // An agent that will die mid-run, and its experiment, first: its lease must be reaped once, not twice.
        await using var doomed = await platform.StartAgentProcessAsync("doomed-" + Guid.NewGuid().ToString("N")[..6]);
        var orphan = await platform.SubmitAsync(FaultSpecs.Pretrain(steps: 200));
        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            return await db.Checkpoints.AnyAsync(c => c.ExperimentId == orphan && c.Kind == "resume");
        }, TimeSpan.FromMinutes(3), () => "the first agent never checkpointed; its log:\n" + doomed.Log);
        doomed.Kill();

        // Then two healthy agents and a burst of work for them, through both replicas' dispatchers.
        await platform.StartAgentAsync("steady-a-" + Guid.NewGuid().ToString("N")[..6]);
        await platform.StartAgentAsync("steady-b-" + Guid.NewGuid().ToString("N")[..6]);
        var burst = new List<Guid>();
        for (int i = 0; i < 6; i++) burst.Add(await platform.SubmitAsync(FaultSpecs.Pretrain(steps: 6, seed: i + 1, registerAs: $"two-orch-{i}-{Guid.NewGuid().ToString("N")[..4]}")));

        // Both replicas' collectors run on their own timers; run extra passes side by side while the work is in flight.
        var collectors = new[] { platform.OrchestratorServices, platform.SecondOrchestrator }
            .Select(s => s.GetServices<IHostedService>().OfType<BlobGarbageCollector>().Single()).ToList();
        using var stop = new CancellationTokenSource();
        var gc = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.WhenAll(collectors.Select(c => c.CollectAsync(TimeSpan.FromSeconds(3), CancellationToken.None)));
                await Task.Delay(500);
            }
        });

        foreach (var id in burst.Append(orphan)) await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(5));
        stop.Cancel();
        await gc;

        await using var db = platform.Db();
        foreach (var id in burst)
        {
            var attempts = await db.Attempts.Where(a => a.ExperimentId == id).ToListAsync();
            Assert.True(attempts.Count == 1, $"experiment {id} was dispatched {attempts.Count} times");
            TransitionChain.AssertUnbroken(await db.StateTransitions.Where(t => t.ExperimentId == id).OrderBy(t => t.Id).ToListAsync());
        }
        var orphanAttempts = await db.Attempts.Where(a => a.ExperimentId == orphan).OrderBy(a => a.Number).ToListAsync();
        Assert.Equal(2, orphanAttempts.Count);
        Assert.Equal(ExperimentStatus.Lost, orphanAttempts[0].Status);
        Assert.True(orphanAttempts[1].StartStep > 0, "the second attempt did not resume from the checkpoint");
        var transitions = await db.StateTransitions.Where(t => t.ExperimentId == orphan).OrderBy(t => t.Id).ToListAsync();
        Assert.Single(transitions, t => t.To == "Lost");
        TransitionChain.AssertUnbroken(transitions);

        // Everything a result points at survived both collectors: every registered backbone and every output is stored.
        var needed = await db.Experiments.Where(e => burst.Contains(e.Id) || e.Id == orphan).Select(e => e.BackboneBlob ?? e.OutputBlob).ToListAsync();
        Assert.All(needed, hash => Assert.NotNull(hash));
        foreach (var hash in needed) Assert.True(await db.Blobs.AnyAsync(b => b.Hash == hash), $"blob {hash} was collected although a result refers to it");
        var steps = await db.MetricPoints.Where(p => p.ExperimentId == orphan && p.Name == "loss" && p.Split == "train").Select(p => p.Step).ToListAsync();
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), steps.Order());
    }
}
