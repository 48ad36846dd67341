using AdapterLab.Contracts.Lifecycle;
using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Faults;

/// <summary>kill -9 of the agent mid-run: the lease expires, the experiment is requeued and finishes on another agent,
/// resumed from its last checkpoint (the step counter continues), with exactly one set of final results.</summary>
[Collection(FaultCollection.Name)]
public sealed class WhenAnAgentIsKilledMidTraining(FaultPlatform platform)
{
    [Fact]
    public async Task The_run_resumes_on_another_agent_from_its_checkpoint()
    {
        await using var doomed = await platform.StartAgentProcessAsync("doomed-" + Guid.NewGuid().ToString("N")[..6]);
        await platform.AwaitOnlyTheseAgentsLiveAsync(doomed.Id);
        var id = await platform.SubmitAsync(FaultSpecs.Pretrain(steps: 40));

        // Wait until the first agent has checkpointed at least once, then kill it without warning.
        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            return await db.Checkpoints.AnyAsync(c => c.ExperimentId == id && c.Kind == "resume" && c.Step >= 5);
        }, TimeSpan.FromMinutes(3), () => "no checkpoint from the first agent; its log:\n" + doomed.Log);
        doomed.Kill();

        await using var rescuer = await platform.StartAgentProcessAsync("rescuer-" + Guid.NewGuid().ToString("N")[..6]);
        await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(4));

        await using var db = platform.Db();
        var attempts = await db.Attempts.Where(a => a.ExperimentId == id).OrderBy(a => a.Number).ToListAsync();
        Assert.Equal(ExperimentStatus.Lost, attempts[0].Status);
        Assert.Equal(doomed.Id, attempts[0].AgentId);
        var final = attempts[^1];
        Assert.Single(attempts, a => a.Status == ExperimentStatus.Succeeded);
        Assert.Equal(ExperimentStatus.Succeeded, final.Status);
        Assert.Equal(rescuer.Id, final.AgentId);
        Assert.True(final.StartStep >= 5, $"the last attempt restarted at step {final.StartStep} instead of resuming");
        Assert.NotNull(final.ResumeBlob);

        var results = await db.FinalResults.Where(r => r.ExperimentId == id).ToListAsync();
        Assert.NotEmpty(results);
        Assert.Equal(results.Count, results.Select(r => (r.Split, r.Task, r.Domain, r.Metric)).Distinct().Count());
        Assert.All(results, r => Assert.Equal(final.Number, r.AttemptNumber));

        var transitions = await db.StateTransitions.Where(t => t.ExperimentId == id).OrderBy(t => t.Id).ToListAsync();
        Assert.Contains(transitions, t => t.To == "Lost" && t.Actor == "reaper");
        TransitionChain.AssertUnbroken(transitions);
        Assert.Equal("Succeeded", transitions[^1].To);
        // Every step's loss is stored once, across both attempts.
        var steps = await db.MetricPoints.Where(p => p.ExperimentId == id && p.Name == "loss" && p.Split == "train").Select(p => p.Step).ToListAsync();
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), steps.Order());
    }
}
