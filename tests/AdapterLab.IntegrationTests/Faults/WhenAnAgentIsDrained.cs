using AdapterLab.Contracts.Lifecycle;
using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Faults;

/// <summary>
/// SIGTERM mid-run (a pod deleted, a node drained): the agent stops taking work, checkpoints its attempt, hands it back
/// and exits inside its grace period; the experiment resumes on another agent from that checkpoint, and the hand-back
/// spends no retry (<c>retry.maxAttempts: 1</c> would otherwise fail it) and no strike against the agent.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class WhenAnAgentIsDrained(FaultPlatform platform)
{
    [Fact]
    public async Task Its_run_is_checkpointed_handed_back_and_resumed_elsewhere()
    {
        // A pool of its own: no agent left over from an earlier test (killed, not yet noticed) can take the run, so with
        // retry.maxAttempts 1 only a hand-back that spends no attempt lets it finish.
        var pool = "drain-" + Guid.NewGuid().ToString("N")[..6];
        await using var drained = await platform.StartAgentProcessAsync("drained-" + Guid.NewGuid().ToString("N")[..6], pool, extra: new Dictionary<string, string?> { ["Agent:DrainSeconds"] = "30" });
        // No periodic checkpoint: the only one before the end is the drain's.
        const int steps = 200;
        var id = await platform.SubmitAsync(FaultSpecs.Pretrain(steps, pool: pool, checkpointInterval: 10_000, maxAttempts: 1));

        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            return await db.MetricPoints.CountAsync(p => p.ExperimentId == id && p.Name == "loss" && p.Split == "train") >= 5;
        }, TimeSpan.FromMinutes(3), () => "the first agent never trained; its log:\n" + drained.Log);
        drained.Terminate();
        Assert.True(await drained.WaitForExitAsync(TimeSpan.FromSeconds(45)), "the agent did not exit after SIGTERM; its log:\n" + drained.Log);
        Assert.Contains("Drained: every attempt handed back", drained.Log);
        // The agent's stop notice travels on the fleet queue, which the orchestrator reads in rounds: it is
        // stored shortly after the agent has gone, not before.
        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            return (await db.Agents.AsNoTracking().SingleAsync(a => a.Id == drained.Id)).Stopped;
        }, TimeSpan.FromSeconds(20), () => "the drained agent's stop notice was never stored");

        await using (var db = platform.Db())
        {
            var first = await db.Attempts.SingleAsync(a => a.ExperimentId == id && a.Number == 1);
            Assert.True(first.HandedBack, $"attempt 1 ended {first.Status} ({first.FailureReason}) without being handed back");
            Assert.InRange(first.Step, 5, steps - 1);
            Assert.True(await db.Checkpoints.AnyAsync(c => c.ExperimentId == id && c.AttemptNumber == 1 && c.Kind == "resume" && c.Step == first.Step),
                $"no resume checkpoint at the hand-back step {first.Step}");
            var agent = await db.Agents.SingleAsync(a => a.Id == drained.Id);
            Assert.Equal(0, agent.ConsecutiveFailures);
            var experiment = await db.Experiments.SingleAsync(e => e.Id == id);
            Assert.Equal(ExperimentStatus.Queued, experiment.Status);
            var requeued = await db.StateTransitions.Where(t => t.ExperimentId == id).OrderBy(t => t.Id).LastAsync();
            Assert.Equal("Queued", requeued.To);
            Assert.Contains("handed back", requeued.Reason);
        }

        await using var rescuer = await platform.StartAgentProcessAsync("heir-" + Guid.NewGuid().ToString("N")[..6], pool);
        await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(4));

        await using (var db = platform.Db())
        {
            var attempts = await db.Attempts.Where(a => a.ExperimentId == id).OrderBy(a => a.Number).ToListAsync();
            Assert.Equal(2, attempts.Count);
            Assert.Equal(rescuer.Id, attempts[1].AgentId);
            Assert.Equal(attempts[0].Step, attempts[1].StartStep);
            var losses = await db.MetricPoints.Where(p => p.ExperimentId == id && p.Name == "loss" && p.Split == "train").Select(p => p.Step).ToListAsync();
            Assert.Equal(Enumerable.Range(1, steps).Select(i => (long)i), losses.Order());
            TransitionChain.AssertUnbroken(await db.StateTransitions.Where(t => t.ExperimentId == id).OrderBy(t => t.Id).ToListAsync());
        }
    }
}
