using AdapterLab.Contracts.Lifecycle;
using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace AdapterLab.IntegrationTests.Faults;

/// <summary>PostgreSQL restarts mid-run: the services recover by themselves, and no metric point or state transition
/// sent meanwhile is lost (consumers retry; the agent retries blob transfers).</summary>
[Collection(FaultCollection.Name)]
public sealed class WhenPostgresRestarts(FaultPlatform platform, ITestOutputHelper output)
{
    [Fact]
    public async Task Services_recover_and_nothing_is_lost()
    {
        // A pool of its own: an agent an earlier test killed is still dispatchable until its lease lapses, and a first
        // attempt lost to it would shift the run past the restart.
        var pool = "pg-" + Guid.NewGuid().ToString("N")[..6];
        await using var agent = await platform.StartAgentProcessAsync("pg-" + Guid.NewGuid().ToString("N")[..6], pool);
        const int steps = 30;
        var id = await platform.SubmitAsync(FaultSpecs.Pretrain(steps: steps, seed: 5, pool: pool));
        await Eventually.TrueAsync(async () => (await platform.GetExperimentAsync(id)).GetProperty("step").GetInt64() >= 3,
            TimeSpan.FromMinutes(3), () => agent.Log);

        await platform.Private.StopPostgresAsync();
        await Task.Delay(TimeSpan.FromSeconds(3));
        await platform.Private.StartPostgresAsync();

        await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(4));
        await using var db = platform.Db();
        // Progress reports and lifecycle messages are consumed from separate queues: a report that met the outage is
        // redelivered on its back-off (up to 10 s apart) and may land after the success that followed it, so the curve
        // is complete a little later, not at once.
        var succeededAt = DateTimeOffset.UtcNow;
        List<long> losses = [], missing = [];
        while (true)
        {
            db.ChangeTracker.Clear();
            losses = await db.MetricPoints.Where(p => p.ExperimentId == id && p.Name == "loss" && p.Split == "train").Select(p => p.Step).ToListAsync();
            missing = Enumerable.Range(1, steps).Select(i => (long)i).Except(losses).ToList();
            if (missing.Count == 0 || DateTimeOffset.UtcNow - succeededAt > TimeSpan.FromSeconds(90)) break;
            await Task.Delay(500);
        }
        output.WriteLine($"the curve was complete {(DateTimeOffset.UtcNow - succeededAt).TotalSeconds:F1} s after the success was seen");
        if (missing.Count > 0)
        {
            // What the platform knew, for the rare run that loses points (seen under CI load; cause not yet found).
            var attempts = await db.Attempts.Where(a => a.ExperimentId == id).OrderBy(a => a.Number)
                .Select(a => $"#{a.Number} {a.Status} steps {a.StartStep}->{a.Step} {a.FailureReason}").ToListAsync();
            var trail = await db.StateTransitions.Where(t => t.ExperimentId == id).OrderBy(t => t.Id).Select(t => $"{t.At:HH:mm:ss.fff} {t.From}->{t.To} {t.Reason}").ToListAsync();
            var refused = await db.RefusedMessages.CountAsync();
            Assert.Fail($"loss points still missing 90 s after the success, at steps {string.Join(",", missing)}; attempts: {string.Join("; ", attempts)}; transitions: {string.Join("; ", trail)}; refused messages: {refused}\nagent log:\n{agent.Log}");
        }
        Assert.Equal(Enumerable.Range(1, steps).Select(i => (long)i), losses.Order());
        // No transition lost: each one starts where the previous ended, from "" to Succeeded, and one attempt succeeded.
        var transitions = await db.StateTransitions.Where(t => t.ExperimentId == id).OrderBy(t => t.Id).ToListAsync();
        TransitionChain.AssertUnbroken(transitions);
        Assert.Equal("Succeeded", transitions[^1].To);
        Assert.Single(await db.Attempts.Where(a => a.ExperimentId == id && a.Status == ExperimentStatus.Succeeded).ToListAsync());
    }
}
