using AdapterLab.Contracts.Lifecycle;
using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Faults;

/// <summary>The broker goes away while experiments run and while submissions arrive: every experiment still finishes,
/// exactly once, and nothing submitted during the outage is lost (the outbox holds it until the broker is back).</summary>
[Collection(FaultCollection.Name)]
public sealed class WhenRabbitMqRestarts(FaultPlatform platform)
{
    [Fact]
    public async Task Nothing_is_lost_or_duplicated()
    {
        await using var agent = await platform.StartAgentProcessAsync("steady-" + Guid.NewGuid().ToString("N")[..6]);
        var before = new List<Guid>
        {
            await platform.SubmitAsync(FaultSpecs.Pretrain(steps: 25, seed: 1)),
            await platform.SubmitAsync(FaultSpecs.Pretrain(steps: 10, seed: 2)),
        };
        await Eventually.TrueAsync(async () => (await platform.GetExperimentAsync(before[0])).GetProperty("step").GetInt64() >= 3,
            TimeSpan.FromMinutes(3), () => agent.Log);

        await platform.Private.StopRabbitAsync();
        // Submissions keep working while the broker is down: web stores them with their outbox rows.
        var during = new List<Guid>
        {
            await platform.SubmitAsync(FaultSpecs.Pretrain(steps: 10, seed: 3)),
            await platform.SubmitAsync(FaultSpecs.Pretrain(steps: 10, seed: 4)),
        };
        await Task.Delay(TimeSpan.FromSeconds(2));
        await platform.Private.StartRabbitAsync();

        foreach (var id in before.Concat(during))
            await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(5));

        await using var db = platform.Db();
        foreach (var id in before.Concat(during))
        {
            var attempts = await db.Attempts.Where(a => a.ExperimentId == id).ToListAsync();
            Assert.Single(attempts, a => a.Status == ExperimentStatus.Succeeded);
            var results = await db.FinalResults.Where(r => r.ExperimentId == id).ToListAsync();
            Assert.NotEmpty(results);
            Assert.Equal(results.Count, results.Select(r => (r.Split, r.Task, r.Domain, r.Metric)).Distinct().Count());
            Assert.Single(await db.StateTransitions.Where(t => t.ExperimentId == id && t.To == "Succeeded").ToListAsync());
        }
        Assert.False(await db.Outbox.AnyAsync(o => o.SentAt == null), "every outbox message is relayed once the broker is back");
    }
}
