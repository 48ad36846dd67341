using AdapterLab.Contracts.Messages;
using AdapterLab.IntegrationTests.Infrastructure;
using AdapterLab.Messaging;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Lifecycle;

/// <summary>
/// The fleet queue is stored in batches (<c>Fleet/FleetIngest.cs</c>), and an agent's messages can arrive out of the
/// order they were sent in (a heartbeat's announcement in flight while the agent began its drain — a drained agent was
/// once revived so in CI, and the next test's work went to an agent that had exited). What counts is the time the agent
/// put on them: an announcement sent before its stop notice leaves it stopped, in the same batch or arriving after it; one
/// sent after it (a restart under its identity) revives it.
/// </summary>
[Collection(SharedPlatformCollection.Name)]
public sealed class AStopNoticeOutranksTheAnnouncementBeforeIt(SharedPlatform platform)
{
    [Fact]
    public async Task Announcements_sent_before_a_stop_notice_leave_the_agent_stopped_and_a_later_one_revives_it()
    {
        var agentId = "stopper-" + Guid.NewGuid().ToString("N")[..6];
        var settings = await platform.AgentBusSettingsAsync(agentId);
        // No free slot, and a pool no experiment asks for: the dispatcher never sends this agent work.
        AgentAnnounced Announcement(DateTimeOffset sent) => new()
        {
            AgentId = agentId, Pool = "stop-notice-test", QueueName = QueueNames.Agent(platform.QueuePrefix, agentId),
            Slots = 1, FreeSlots = 0, SentAt = sent,
        };
        async Task<(bool Stopped, DateTimeOffset LastSeen)?> RowAsync()
        {
            await using var db = platform.Db();
            return await db.Agents.AsNoTracking().SingleOrDefaultAsync(a => a.Id == agentId) is { } a ? (a.Stopped, a.LastSeenAt) : null;
        }

        await using var agent = await AgentBus.StartAsync(settings);
        // Its last announcement and its stop notice back to back (often one batch).
        var stoppedAt = DateTimeOffset.UtcNow;
        await agent.Bus.Publish(Announcement(stoppedAt.AddSeconds(-10)));
        await agent.Bus.Publish(new AgentStopping { AgentId = agentId, SentAt = stoppedAt });
        await Eventually.TrueAsync(async () => await RowAsync() is { Stopped: true }, TimeSpan.FromSeconds(20),
            () => "an agent that announced and then said it stops is not stopped");

        // An announcement sent before the stop notice arrives after it: stored (it is the agent's newest so far), and the
        // agent stays stopped.
        var inFlight = stoppedAt.AddSeconds(-1);
        await agent.Bus.Publish(Announcement(inFlight));
        await Eventually.TrueAsync(async () => await RowAsync() is { } r && r.LastSeen >= inFlight.AddMilliseconds(-1), TimeSpan.FromSeconds(20),
            () => "the announcement sent before the stop notice was not stored");
        Assert.True((await RowAsync())!.Value.Stopped, "an announcement sent before the stop notice revived the agent");

        // Restarted under its identity: a stop notice, then an announcement sent after it (one batch or two), and it serves again.
        var restart = DateTimeOffset.UtcNow;
        await agent.Bus.Publish(new AgentStopping { AgentId = agentId, SentAt = restart });
        await agent.Bus.Publish(Announcement(restart.AddMilliseconds(5)));
        await Eventually.TrueAsync(async () => await RowAsync() is { Stopped: false }, TimeSpan.FromSeconds(20),
            () => "an agent that announced after its stop notice is still stopped");
        await agent.Bus.Publish(new AgentStopping { AgentId = agentId, SentAt = DateTimeOffset.UtcNow });
        await Eventually.TrueAsync(async () => await RowAsync() is { Stopped: true }, TimeSpan.FromSeconds(20), () => "the last stop notice was not stored");
    }
}
