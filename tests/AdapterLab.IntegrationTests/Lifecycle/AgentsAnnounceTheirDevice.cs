using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Lifecycle;

/// <summary>An agent's announcement says what it trains on, and the fleet view (API and Agents page) shows it.</summary>
[Collection(SharedPlatformCollection.Name)]
public sealed class AgentsAnnounceTheirDevice(SharedPlatform platform)
{
    [Fact]
    public async Task The_agents_table_and_api_hold_the_device_name_and_memory()
    {
        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            return await db.Agents.AnyAsync(a => a.Id == platform.AgentId && a.DeviceName != "");
        }, TimeSpan.FromSeconds(30), () => "the agent never announced its device");
        await using (var db = platform.Db())
        {
            var agent = await db.Agents.SingleAsync(a => a.Id == platform.AgentId);
            Assert.StartsWith("cpu: ", agent.DeviceName);
            Assert.Contains($"({Environment.ProcessorCount} cores)", agent.DeviceName);
            Assert.True(agent.DeviceMemoryBytes > 1L << 30, $"device memory {agent.DeviceMemoryBytes}");
        }
        var body = await platform.Api.GetStringAsync("/api/agents");
        Assert.Contains("\"deviceName\":\"cpu: ", body);
    }
}
