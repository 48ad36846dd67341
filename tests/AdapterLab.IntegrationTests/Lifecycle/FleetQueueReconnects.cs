using AdapterLab.IntegrationTests.Infrastructure;
using AdapterLab.Messaging;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Lifecycle;

/// <summary>
/// The orchestrator reads the fleet queue on a broker connection of its own (<c>Fleet/FleetIngest.cs</c>, named after the
/// queue): when the broker drops that connection, it connects again and the agents' announcements are stored again —
/// the agent's last-seen time moves past the moment of the drop.
/// </summary>
[Collection(SharedPlatformCollection.Name)]
public sealed class FleetQueueReconnects(SharedPlatform platform)
{
    [Fact]
    public async Task Announcements_are_stored_again_after_the_broker_drops_the_fleet_connection()
    {
        var ctl = Environment.GetEnvironmentVariable("ADAPTERLAB_TEST_RABBITMQ_CTL")
                  ?? throw new InvalidOperationException("ADAPTERLAB_TEST_RABBITMQ_CTL is not set: run the tests with ./platform test");
        var name = QueueNames.OrchestratorFleet(platform.QueuePrefix);
        async Task<List<string>> FleetConnectionsAsync()
        {
            // The client-provided name is in the connection's client properties (connection_name); the table format
            // prints the pid as close_connection takes it (<rabbit@host.N.M.K>).
            var listed = await Commands.RunCheckedAsync(ctl, ["-q", "-s", "list_connections", "pid", "client_properties"]);
            return listed.Split('\n').Where(line => line.Contains('"' + name + '"', StringComparison.Ordinal))
                .Select(line => line.Split('\t')[0].Trim()).ToList();
        }

        List<string> before = [];
        await Eventually.TrueAsync(async () => (before = await FleetConnectionsAsync()).Count == 1, TimeSpan.FromSeconds(30),
            () => $"{before.Count} connections named {name}");
        var dropped = DateTimeOffset.UtcNow;
        await Commands.RunCheckedAsync(ctl, ["-q", "close_connection", before[0], "test: the fleet consumer must come back"]);

        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            var seen = await db.Agents.AsNoTracking().Where(a => a.Id == platform.AgentId).Select(a => a.LastSeenAt).SingleAsync();
            return seen > dropped.AddSeconds(1);
        }, TimeSpan.FromSeconds(60), () => "no announcement was stored after the fleet connection was dropped");
        var after = await FleetConnectionsAsync();
        Assert.Single(after);
        Assert.NotEqual(before[0], after[0]);
    }
}
