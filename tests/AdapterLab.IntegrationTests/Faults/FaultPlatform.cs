using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Faults;

/// <summary>
/// A platform on a PostgreSQL and RabbitMQ of its own (restarting them touches nothing else), with no agent inside the
/// test process: tests start agent processes they can kill. Heartbeat 1 s, lease 5 s.
/// </summary>
public sealed class FaultPlatform : PlatformFixture
{
    private PrivateServers? _private;

    public PrivateServers Private => _private ?? throw new InvalidOperationException("not started");

    protected override bool StartsInProcessAgent => false;

    public override async Task InitializeAsync()
    {
        _private = await PrivateServers.StartAsync();
        Servers = _private.Servers;
        Settings["Orchestrator:LeaseHeartbeats"] = "5";
        await base.InitializeAsync();
    }

    /// <summary>
    /// Waits until no agent but <paramref name="own"/> could be sent work (every other one stopped, or silent past the
    /// staleness window of 4 heartbeats): a previous test's agent that was killed a moment ago still looks alive.
    /// </summary>
    public async Task AwaitOnlyTheseAgentsLiveAsync(params string[] own)
    {
        await Eventually.TrueAsync(async () =>
        {
            await using var db = Db();
            var staleBefore = DateTimeOffset.UtcNow.AddSeconds(-5);
            return !await db.Agents.AnyAsync(a => !own.Contains(a.Id) && !a.Stopped && a.LastSeenAt > staleBefore);
        }, TimeSpan.FromSeconds(30), () => "another test's agent still looks alive");
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_private is not null) await _private.DisposeAsync();
    }
}

/// <summary>
/// Fault-injection tests share one private server pair and run one after another, and not beside other tests: they
/// measure timing (leases) and determinism (torch's random generator is per process, shared by in-process agents).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultCollection : ICollectionFixture<FaultPlatform>
{
    public const string Name = "faults";
}
