using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Faults;

/// <summary>
/// kill -9 of the agent right after a checkpoint was announced: the resumed attempt starts after that checkpoint, so
/// every metric point up to it must already be with the broker. The doomed agent's background flush is slowed to ten
/// minutes, so its points can only leave with a checkpoint: without the flush before the announcement they are lost.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class WhenAnAgentDiesRightAfterACheckpoint(FaultPlatform platform)
{
    [Fact]
    public async Task Every_point_up_to_the_checkpoint_is_kept()
    {
        const int steps = 30;
        await using var doomed = await platform.StartAgentProcessAsync("ckpt-" + Guid.NewGuid().ToString("N")[..6],
            extra: new Dictionary<string, string?> { ["Agent:FlushSeconds"] = "600" });
        var id = await platform.SubmitAsync(FaultSpecs.Pretrain(steps: steps, seed: 7));

        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            return await db.Checkpoints.AnyAsync(c => c.ExperimentId == id && c.Kind == "resume" && c.Step >= 10);
        }, TimeSpan.FromMinutes(3), () => "no checkpoint from the first agent; its log:\n" + doomed.Log);
        doomed.Kill();

        await using var rescuer = await platform.StartAgentProcessAsync("rescue-" + Guid.NewGuid().ToString("N")[..6]);
        await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(4));

        await using var check = platform.Db();
        var final = await check.Attempts.Where(a => a.ExperimentId == id).OrderBy(a => a.Number).LastAsync();
        Assert.True(final.Number > 1 && final.StartStep >= 10, $"attempt {final.Number} started at step {final.StartStep}: the kill did not force a resume");
        var losses = await check.MetricPoints.Where(p => p.ExperimentId == id && p.Name == "loss" && p.Split == "train").Select(p => p.Step).ToListAsync();
        Assert.Equal(Enumerable.Range(1, steps).Select(i => (long)i), losses.Order());
    }
}
