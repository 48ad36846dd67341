using AdapterLab.Contracts.Messages;
using AdapterLab.IntegrationTests.Infrastructure;
using AdapterLab.Messaging;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Lifecycle;

/// <summary>
/// The fleet queue is stored in batches (<c>Fleet/FleetIngest.cs</c>). An agent that stops sends its last announcement
/// and its stop notice back to back, so both often land in one batch: the agent must end stopped (once, the
/// announcement's upsert revived it and the next test's work went to an agent that had exited), and an agent that
/// announces again after its stop notice (a restart under its identity) serves again.
/// </summary>
[Collection(SharedPlatformCollection.Name)]
public sealed class AStopNoticeOutranksTheAnnouncementBeforeIt(SharedPlatform platform)
{
    [Fact]
    public async Task An_announcement_then_a_stop_notice_leave_the_agent_stopped_and_a_later_announcement_revives_it()
    {
        var agentId = "stopper-" + Guid.NewGuid().ToString("N")[..6];
        var settings = await platform.AgentBusSettingsAsync(agentId);
        // No free slot, and a pool no experiment asks for: the dispatcher never sends this agent work.
        AgentAnnounced Announcement() => new()
        {
            AgentId = agentId, Pool = "stop-notice-test", QueueName = QueueNames.Agent(platform.QueuePrefix, agentId),
            Slots = 1, FreeSlots = 0, SentAt = DateTimeOffset.UtcNow,
        };
        async Task<bool?> StoppedAsync()
        {
            await using var db = platform.Db();
            return await db.Agents.AsNoTracking().Where(a => a.Id == agentId).Select(a => (bool?)a.Stopped).SingleOrDefaultAsync();
        }

        await using var agent = await AgentBus.StartAsync(settings);
        await agent.Bus.Publish(Announcement());
        await agent.Bus.Publish(new AgentStopping { AgentId = agentId });
        await Eventually.TrueAsync(async () => await StoppedAsync() == true, TimeSpan.FromSeconds(20),
            () => "an agent that announced and then said it stops is not stopped");
        // And it stays so: nothing of the batch is applied after the stop notice.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.True(await StoppedAsync());

        // Restarted under its identity: the stop notice, then a new announcement (one batch or two), and it serves again.
        await agent.Bus.Publish(new AgentStopping { AgentId = agentId });
        await agent.Bus.Publish(Announcement());
        await Eventually.TrueAsync(async () => await StoppedAsync() == false, TimeSpan.FromSeconds(20),
            () => "an agent that announced after its stop notice is still stopped");
        await agent.Bus.Publish(new AgentStopping { AgentId = agentId });
        await Eventually.TrueAsync(async () => await StoppedAsync() == true, TimeSpan.FromSeconds(20), () => "the last stop notice was not stored");
    }
}
