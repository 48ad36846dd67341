using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Data.Entities;
using AdapterLab.IntegrationTests.Faults;
using AdapterLab.IntegrationTests.Infrastructure;
using AdapterLab.Messaging;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Lifecycle;

/// <summary>
/// The lease reaper (<c>Scheduling/LeaseReaper.cs</c>) tells a dead agent from a busy orchestrator: two attempts whose
/// leases lapsed at the same moment, one held by an agent that went silent then, one by an agent that keeps announcing
/// (without the attempt: it finished it, and its result waits in the lifecycle queue). The silent agent's attempt is
/// lost at once; the live agent's is awaited one more lease, and lost then if no result came. The agents and attempts are
/// rows only, their experiments queued in a pool nobody serves.
/// </summary>
[Collection(SharedPlatformCollection.Name)]
public sealed class ALiveAgentsFinishedAttemptIsAwaited(SharedPlatform platform)
{
    [Fact]
    public async Task A_lapsed_lease_is_lost_at_once_if_its_agent_is_silent_and_one_lease_later_if_it_still_announces()
    {
        string suffix = Guid.NewGuid().ToString("N")[..6], pool = "reaper-" + suffix;
        string silent = "silent-" + suffix, alive = "alive-" + suffix;
        var lease = TimeSpan.FromSeconds(4); // the tests' lease: 4 heartbeats of 1 s
        var work = new Dictionary<string, Guid>();
        foreach (var agent in new[] { silent, alive }) work[agent] = await platform.SubmitAsync(FaultSpecs.Pretrain(5, pool: "reaper-nowhere-" + suffix));

        var now = DateTimeOffset.UtcNow;
        var lastBeat = now.AddSeconds(-5);
        var expiry = now.AddMilliseconds(-500);
        await using (var db = platform.Db())
        {
            foreach (var agent in new[] { silent, alive })
            {
                db.Agents.Add(new Agent
                {
                    Id = agent, Pool = pool, Device = "cpu", Host = "test", QueueName = QueueNames.Agent(platform.QueuePrefix, agent),
                    Slots = 1, ReportedFreeSlots = 1, Version = "test", FirstSeenAt = lastBeat, LastSeenAt = agent == alive ? now : lastBeat,
                });
                db.Attempts.Add(new Attempt
                {
                    ExperimentId = work[agent], Number = 1, AgentId = agent, Status = ExperimentStatus.Running,
                    DispatchedAt = lastBeat, LastHeartbeatAt = lastBeat, LeaseExpiresAt = expiry,
                });
            }
            await db.SaveChangesAsync();
        }

        // The live agent announces every 300 ms (as its rounds would store it); the silent one was last heard at its last beat.
        Attempt? silentAttempt = null, aliveAttempt = null;
        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            await db.Agents.Where(a => a.Id == alive).ExecuteUpdateAsync(u => u.SetProperty(a => a.LastSeenAt, DateTimeOffset.UtcNow));
            var attempts = await db.Attempts.AsNoTracking().Where(a => a.ExperimentId == work[silent] || a.ExperimentId == work[alive]).ToListAsync();
            silentAttempt = attempts.Single(a => a.AgentId == silent);
            aliveAttempt = attempts.Single(a => a.AgentId == alive);
            return aliveAttempt.Status == ExperimentStatus.Lost;
        }, TimeSpan.FromSeconds(30), () => $"the live agent's attempt was never declared lost ({aliveAttempt?.Status})", pollInterval: TimeSpan.FromMilliseconds(300));

        Assert.Equal(ExperimentStatus.Lost, silentAttempt!.Status);
        Assert.True(silentAttempt.FinishedAt < expiry + lease, $"the silent agent's attempt was lost {silentAttempt.FinishedAt - expiry} after its lease lapsed: awaited as if its agent were alive");
        Assert.True(aliveAttempt!.FinishedAt >= expiry + lease, $"the live agent's attempt was lost {aliveAttempt.FinishedAt - expiry} after its lease lapsed, not awaited one more lease");
        Assert.Contains("stopped heartbeating", aliveAttempt.FailureReason);

        foreach (var id in work.Values) using (await platform.Api.PostAsync($"/api/experiments/{id}/cancel", null)) { }
        await using (var db = platform.Db())
            await db.Agents.Where(a => a.Pool == pool).ExecuteUpdateAsync(u => u.SetProperty(a => a.Stopped, true));
    }
}
