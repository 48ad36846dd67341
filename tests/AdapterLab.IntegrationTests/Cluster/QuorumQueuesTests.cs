using System.Text.Json;
using AdapterLab.IntegrationTests.Infrastructure;

namespace AdapterLab.IntegrationTests.Cluster;

/// <summary>A platform whose durable queues are quorum queues (<c>RabbitMq:QuorumQueues</c>, on for clusters).</summary>
public sealed class QuorumPlatform : PlatformFixture
{
    public override Task InitializeAsync()
    {
        Settings["RabbitMq:QuorumQueues"] = "true";
        return base.InitializeAsync();
    }
}

/// <summary>
/// Queue declarations as the broker reports them (<c>rabbitmqctl list_queues name durable auto_delete exclusive type</c>):
/// with the cluster setting, every durable queue of a platform that ran an experiment end to end is a quorum queue; and
/// on the whole test vhost, where every fixture's services run side by side, no queue is both non-durable and
/// non-exclusive (transient shared queues, which RabbitMQ 4.3 refuses by default).
/// </summary>
public sealed class QuorumQueuesTests(QuorumPlatform platform) : IClassFixture<QuorumPlatform>
{
    [Fact]
    public async Task Every_durable_queue_is_a_quorum_queue_and_work_flows_through_them()
    {
        var id = await platform.SubmitAsync(Specs.Pretrain("quorum-" + Guid.NewGuid().ToString("N")[..6], steps: 4));
        await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(3));

        var ours = (await ListQueuesAsync()).Where(q => q.Name.StartsWith(platform.QueuePrefix, StringComparison.Ordinal)).ToList();
        Assert.Contains(ours, q => q.Name.Contains("orchestrator-progress"));
        Assert.Contains(ours, q => q.Name.Contains("orchestrator-fleet")); // declared by the fleet consumer, not MassTransit
        Assert.Contains(ours, q => q.Name.Contains(platform.AgentId));
        foreach (var q in ours.Where(q => q.Durable))
            Assert.True(q.Type == "quorum", $"{q.Name} is a durable {q.Type} queue");
        foreach (var q in ours.Where(q => !q.Durable))
            Assert.True(q.Exclusive && q.Type == "classic", $"{q.Name} is transient but not exclusive");
    }

    [Fact]
    public async Task No_queue_on_the_broker_is_transient_and_shared()
    {
        // This platform is up (the fixture), and so are the other test classes' platforms running beside it.
        var queues = await ListQueuesAsync();
        Assert.Contains(queues, q => q.Name.StartsWith(platform.QueuePrefix, StringComparison.Ordinal));
        var offending = queues.Where(q => !q.Durable && !q.Exclusive).Select(q => q.Name).ToList();
        Assert.True(offending.Count == 0, "non-durable, non-exclusive queues: " + string.Join(", ", offending));
    }

    public sealed record Queue(string Name, bool Durable, bool AutoDelete, bool Exclusive, string Type);

    public static async Task<List<Queue>> ListQueuesAsync()
    {
        var ctl = Environment.GetEnvironmentVariable("ADAPTERLAB_TEST_RABBITMQ_CTL")
                  ?? throw new InvalidOperationException("ADAPTERLAB_TEST_RABBITMQ_CTL is not set: run the tests with ./platform test");
        var listed = await Commands.RunCheckedAsync(ctl, ["-q", "-p", TestEnvironment.Servers.RabbitVirtualHost, "list_queues", "name", "durable", "auto_delete", "exclusive", "type", "--formatter", "json"]);
        using var json = JsonDocument.Parse(listed);
        return json.RootElement.EnumerateArray().Select(q => new Queue(
            q.GetProperty("name").GetString()!, Flag(q, "durable"), Flag(q, "auto_delete"), Flag(q, "exclusive"), q.GetProperty("type").GetString()!)).ToList();
    }

    /// <summary>rabbitmqctl prints a flag as a JSON boolean, or as an empty string where it does not apply (quorum queues are never exclusive).</summary>
    private static bool Flag(JsonElement queue, string name)
    {
        var v = queue.GetProperty(name);
        return v.ValueKind == JsonValueKind.True || (v.ValueKind == JsonValueKind.String && v.GetString() == "true");
    }
}
