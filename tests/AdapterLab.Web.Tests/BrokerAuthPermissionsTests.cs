using AdapterLab.Web.Agents;

namespace AdapterLab.Web.Tests;

/// <summary>The least privilege the web grants an agent through the broker's HTTP auth backend.</summary>
public sealed class BrokerAuthPermissionsTests
{
    private const string Prefix = "t1-";

    [Theory]
    [InlineData("queue", "t1-adapterlab-agent-a1", "read", true)]
    [InlineData("queue", "t1-adapterlab-agent-a1_error", "configure", true)]
    [InlineData("queue", "host_proc_bus_abc123", "read", true)]
    [InlineData("exchange", "t1-AdapterLab.Contracts.Messages:AttemptProgressed", "write", true)]
    [InlineData("exchange", "t1-AdapterLab.Contracts.Messages:AgentAnnounced", "configure", true)]
    [InlineData("queue", "t1-adapterlab-agent-a2", "read", false)]
    [InlineData("queue", "t1-adapterlab-agent-a1x", "read", false)]
    [InlineData("exchange", "t1-AdapterLab.Contracts.Messages:AttemptProgressed", "read", false)]
    [InlineData("exchange", "t1-AdapterLab.Contracts.Messages:CancelRequested", "write", false)]
    [InlineData("exchange", "t1-AdapterLab.Contracts.Messages:RunExperiment", "write", false)]
    [InlineData("exchange", "t2-AdapterLab.Contracts.Messages:AttemptProgressed", "write", false)]
    [InlineData("exchange", "amq.default", "write", false)]
    [InlineData("topic", "t1-AdapterLab.Contracts.Messages:AttemptProgressed", "write", true)]
    [InlineData("vhost", "t1-adapterlab-agent-a1", "read", false)]
    [InlineData("queue", "t1-adapterlab-agent-a1", "delete", false)]
    public void An_agent_may_read_its_own_queue_and_publish_only_agent_reports(string resource, string name, string permission, bool allowed) =>
        Assert.Equal(allowed, BrokerAuthApi.Permitted(Prefix, "a1", resource, name, permission));

    [Fact]
    public void A_hostile_or_overlong_name_is_refused_not_a_server_error()
    {
        // The broker caps names at 255 bytes; a longer one is never one of ours, and a long near-miss stays cheap.
        Assert.False(BrokerAuthApi.Permitted(Prefix, "a1", "queue", new string('a', 254) + "_bus_!", "read"));
        Assert.False(BrokerAuthApi.Permitted(Prefix, "a1", "queue", string.Concat(Enumerable.Repeat("_bus_", 51)) + "A", "read"));
        Assert.False(BrokerAuthApi.Permitted(Prefix, "a1", "queue", new string('x', 250) + "_bus_abc", "read"));
        Assert.True(BrokerAuthApi.Permitted(Prefix, "a1", "queue", new string('x', 247) + "_bus_abc", "read"));
    }
}
