using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Data.Entities;
using AdapterLab.IntegrationTests.Faults;
using AdapterLab.IntegrationTests.Infrastructure;
using AdapterLab.Messaging;
using AdapterLab.Orchestrator.Scheduling;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdapterLab.IntegrationTests.Lifecycle;

/// <summary>
/// The dispatch pass's read of the fleet (<c>Scheduling/Dispatcher.cs</c>; staleness filtered after the query,
/// since heartbeats outrun the table's statistics): in a pool of its own, a stale agent, a stopped one, a quarantined
/// one, one without a live token and one whose only slot is taken get nothing, and the one agent that may take work
/// gets the experiment. The agents are rows only (nothing consumes their queues): the test reads where the pass put the
/// attempt. A pass plans with the dispatcher's view of the fleet (<c>Scheduling/FleetView.cs</c>, up to a second old), so
/// an agent that stops after the view was read must be caught by the check of the agents a pass places work on.
/// </summary>
[Collection(SharedPlatformCollection.Name)]
public sealed class OnlyAgentsThatMayTakeWorkGetIt(SharedPlatform platform)
{
    [Fact]
    public async Task The_pass_skips_stale_stopped_quarantined_tokenless_and_full_agents()
    {
        string suffix = Guid.NewGuid().ToString("N")[..6], pool = "fleet-read-" + suffix;
        string Id(string what) => $"{what}-{suffix}";
        string stale = Id("stale");
        var now = DateTimeOffset.UtcNow;
        Agent Row(string id, Action<Agent>? shape = null)
        {
            var a = new Agent
            {
                Id = id, Pool = pool, Device = "cpu", Host = "test", QueueName = QueueNames.Agent(platform.QueuePrefix, id),
                Slots = 1, ReportedFreeSlots = 1, Version = "test", FirstSeenAt = now, LastSeenAt = now,
            };
            shape?.Invoke(a);
            return a;
        }
        // Every one but the tokenless agent holds a live token; the full agent holds the attempt of another experiment.
        foreach (var name in new[] { "stale", "stopped", "quarantined", "full", "eligible" }) await platform.AgentTokenOfAsync(Id(name));
        var occupying = await platform.SubmitAsync(FaultSpecs.Pretrain(5, pool: "fleet-read-nowhere-" + suffix));
        await using (var db = platform.Db())
        {
            db.Agents.AddRange(
                Row(Id("stale"), a => a.LastSeenAt = now.AddMinutes(-10)),
                Row(Id("stopped"), a => a.Stopped = true),
                Row(Id("quarantined"), a => { a.Quarantined = true; a.QuarantineReason = "test"; }),
                Row(Id("tokenless")),
                Row(Id("full")));
            db.Attempts.Add(new Attempt
            {
                ExperimentId = occupying, Number = 1, AgentId = Id("full"), Status = ExperimentStatus.Running,
                DispatchedAt = now, LeaseExpiresAt = now.AddHours(1),
            });
            await db.SaveChangesAsync();
        }

        // The rows' heartbeats: every agent but the stale one is seen again and again, as a live agent would be (the
        // staleness window is a few heartbeats, seconds in tests), so only its own flaw keeps each from work.
        async Task SeenAsync()
        {
            await using var db = platform.Db();
            var seen = DateTimeOffset.UtcNow;
            await db.Agents.Where(a => a.Pool == pool && a.Id != stale).ExecuteUpdateAsync(u => u.SetProperty(a => a.LastSeenAt, seen));
        }
        async Task HeartbeatsAsync(TimeSpan span)
        {
            var until = DateTimeOffset.UtcNow + span;
            while (DateTimeOffset.UtcNow < until)
            {
                await SeenAsync();
                await Task.Delay(TimeSpan.FromMilliseconds(300));
            }
        }

        var id = await platform.SubmitAsync(FaultSpecs.Pretrain(5, pool: pool));
        // Nobody may take it: it waits through a few passes (one on submission, then one every 2 s).
        await HeartbeatsAsync(TimeSpan.FromSeconds(5));
        await using (var db = platform.Db())
            Assert.Empty(await db.Attempts.AsNoTracking().Where(a => a.ExperimentId == id).Select(a => a.AgentId).ToListAsync());

        // Then one agent that may: fresh, a live token, a free slot. The next pass gives it the experiment.
        await using (var db = platform.Db())
        {
            db.Agents.Add(Row(Id("eligible"), a => a.LastSeenAt = DateTimeOffset.UtcNow));
            await db.SaveChangesAsync();
        }
        string? holder = null, state = null; // passes also run on a timer (every 2 s)
        await Eventually.TrueAsync(async () =>
        {
            await SeenAsync();
            await using var db = platform.Db();
            holder = await db.Attempts.AsNoTracking().Where(a => a.ExperimentId == id).Select(a => a.AgentId).FirstOrDefaultAsync();
            state = await db.Experiments.AsNoTracking().Where(e => e.Id == id).Select(e => e.Status + ": " + (e.WaitingReason ?? e.FailureReason ?? "")).SingleAsync();
            return holder is not null;
        }, TimeSpan.FromSeconds(60), () => $"the eligible agent was never given the experiment ({state})");
        Assert.Equal(Id("eligible"), holder);

        // Leave nothing behind that looks alive or queued to the tests that follow.
        foreach (var e in new[] { id, occupying }) using (await platform.Api.PostAsync($"/api/experiments/{e}/cancel", null)) { }
        await using (var db = platform.Db())
            await db.Agents.Where(a => a.Pool == pool).ExecuteUpdateAsync(u => u.SetProperty(a => a.Stopped, true));
    }

    [Fact]
    public async Task An_agent_that_stops_after_the_fleet_view_was_read_gets_nothing()
    {
        string suffix = Guid.NewGuid().ToString("N")[..6], pool = "fleet-view-" + suffix, id = "stopping-" + suffix;
        await platform.AgentTokenOfAsync(id);
        await using (var db = platform.Db())
        {
            var now = DateTimeOffset.UtcNow;
            db.Agents.Add(new Agent
            {
                Id = id, Pool = pool, Device = "cpu", Host = "test", QueueName = QueueNames.Agent(platform.QueuePrefix, id),
                Slots = 1, ReportedFreeSlots = 1, Version = "test", FirstSeenAt = now, LastSeenAt = now,
            });
            await db.SaveChangesAsync();
        }
        // The dispatcher's view holds the agent (fresh, not stopped, a live token) ...
        var view = platform.OrchestratorServices.GetRequiredService<FleetView>();
        view.Changed();
        await using (var db = platform.Db())
            Assert.Contains(await view.ReadAsync(db, CancellationToken.None), a => a.Id == id);
        // ... and the agent stops before the next passes (the submission's, and one run here at once), which plan with that view.
        await using (var db = platform.Db())
            await db.Agents.Where(a => a.Id == id).ExecuteUpdateAsync(u => u.SetProperty(a => a.Stopped, true));
        var experiment = await platform.SubmitAsync(FaultSpecs.Pretrain(5, pool: pool));
        await platform.OrchestratorServices.GetRequiredService<Dispatcher>().DispatchOnceAsync(CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(3)); // and the passes on the timer, with the view read again
        await using (var db = platform.Db())
        {
            Assert.Empty(await db.Attempts.AsNoTracking().Where(a => a.ExperimentId == experiment).Select(a => a.AgentId).ToListAsync());
            Assert.Equal(ExperimentStatus.Queued, await db.Experiments.AsNoTracking().Where(e => e.Id == experiment).Select(e => e.Status).SingleAsync());
        }
        using (await platform.Api.PostAsync($"/api/experiments/{experiment}/cancel", null)) { }
    }
}
