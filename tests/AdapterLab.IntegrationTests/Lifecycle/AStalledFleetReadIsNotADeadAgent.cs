using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Data.Entities;
using AdapterLab.IntegrationTests.Faults;
using AdapterLab.IntegrationTests.Infrastructure;
using AdapterLab.Messaging;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Lifecycle;

/// <summary>
/// The lease reaper judges leases against the time up to which the fleet queue has been read
/// (<c>Fleet/FleetReadHorizon.cs</c>), not the wall clock. Here the orchestrator's fleet write stalls — the agent's row
/// is locked, as a long transaction or a stalled disk would hold it — while the agent heartbeats its attempt every
/// 500 ms as ever: its heartbeats wait in the blocked round and in the queue behind it, and the attempt's lease lapses in
/// the database. That is the orchestrator's stall, not the agent's death (bench perf-fleet: a thousand attempts retried
/// after the orchestrator itself paused for 40 s): the attempt must not be declared lost, during the stall or after it,
/// when the waiting heartbeats are stored. The agent holds its attempt as perf-fleet's simulated agents do — heartbeats
/// only, no progress — and its experiment is queued in a pool nobody serves.
/// </summary>
[Collection(SharedPlatformCollection.Name)]
public sealed class AStalledFleetReadIsNotADeadAgent(SharedPlatform platform)
{
    [Fact]
    public async Task A_lease_that_lapses_while_the_fleet_reads_are_stalled_is_not_declared_lost()
    {
        string suffix = Guid.NewGuid().ToString("N")[..6], agentId = "stalled-" + suffix;
        var lease = TimeSpan.FromSeconds(4); // the tests' lease: 4 heartbeats of 1 s
        var id = await platform.SubmitAsync(FaultSpecs.Pretrain(5, pool: "stall-nowhere-" + suffix));
        var now = DateTimeOffset.UtcNow;
        await using (var db = platform.Db())
        {
            db.Agents.Add(new Agent
            {
                Id = agentId, Pool = "stall-" + suffix, Device = "cpu", Host = "test", QueueName = QueueNames.Agent(platform.QueuePrefix, agentId),
                Slots = 1, ReportedFreeSlots = 0, Version = "test", FirstSeenAt = now, LastSeenAt = now,
            });
            db.Attempts.Add(new Attempt
            {
                ExperimentId = id, Number = 1, AgentId = agentId, Status = ExperimentStatus.Running,
                DispatchedAt = now, LastHeartbeatAt = now, LeaseExpiresAt = now + lease,
            });
            await db.SaveChangesAsync();
        }

        await using var agent = await AgentBus.StartAsync(await platform.AgentBusSettingsAsync(agentId));
        using var stop = new CancellationTokenSource();
        var beating = Task.Run(async () =>
        {
            for (long step = 1; !stop.IsCancellationRequested; step++)
            {
                await agent.Bus.Publish(new AttemptHeartbeat { ExperimentId = id, AttemptNumber = 1, AgentId = agentId, Step = step, SentAt = DateTimeOffset.UtcNow });
                await Task.Delay(500);
            }
        });

        async Task<Attempt> ReadAsync()
        {
            await using var db = platform.Db();
            return await db.Attempts.AsNoTracking().SingleAsync(a => a.ExperimentId == id && a.Number == 1);
        }
        await Eventually.TrueAsync(async () => (await ReadAsync()).Step > 0, TimeSpan.FromSeconds(20), () => "the agent's heartbeats were not stored");

        bool lapsed = false;
        await using (var locker = platform.Db())
        {
            await using var tx = await locker.Database.BeginTransactionAsync();
            // The fleet's next write that touches this agent waits, and with it every round after it.
            await locker.Database.ExecuteSqlInterpolatedAsync($"SELECT 1 FROM agents WHERE id = {agentId} FOR UPDATE");
            var until = DateTimeOffset.UtcNow + 2.5 * lease;
            while (DateTimeOffset.UtcNow < until)
            {
                var a = await ReadAsync();
                Assert.True(a.Status == ExperimentStatus.Running, $"attempt 1 is {a.Status} while the fleet's writes were stalled");
                lapsed |= a.LeaseExpiresAt < DateTimeOffset.UtcNow - TimeSpan.FromSeconds(1);
                await Task.Delay(250);
            }
            await tx.RollbackAsync();
        }
        Assert.True(lapsed, "the attempt's lease never lapsed while the fleet's writes were stalled: the test stalled nothing");

        // The waiting heartbeats are stored; the attempt carries on, renewed, and is never lost.
        var after = DateTimeOffset.UtcNow + 2 * lease;
        bool renewed = false;
        while (DateTimeOffset.UtcNow < after)
        {
            var a = await ReadAsync();
            Assert.True(a.Status == ExperimentStatus.Running, $"attempt 1 is {a.Status} after the stall ended: {a.FailureReason}");
            renewed |= a.LeaseExpiresAt > DateTimeOffset.UtcNow;
            await Task.Delay(250);
        }
        Assert.True(renewed, "the attempt's lease was not renewed after the stall ended");

        stop.Cancel();
        await beating;
        using (await platform.Api.PostAsync($"/api/experiments/{id}/cancel", null)) { }
        await using (var db = platform.Db())
            await db.Agents.Where(a => a.Id == agentId).ExecuteUpdateAsync(u => u.SetProperty(a => a.Stopped, true));
    }
}
