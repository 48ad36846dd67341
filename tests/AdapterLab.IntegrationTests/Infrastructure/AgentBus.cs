using AdapterLab.Messaging;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AdapterLab.IntegrationTests.Infrastructure;

/// <summary>
/// A bare bus with an agent's broker identity and the platform's own wiring (<see cref="BusRegistration.AddPlatformBus"/>:
/// entity prefix, user_id stamping), for tests that publish as an agent — e.g. one holding another agent's credentials.
/// </summary>
public sealed class AgentBus : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly IBusControl _bus;

    private AgentBus(ServiceProvider services, IBusControl bus)
    {
        _services = services;
        _bus = bus;
    }

    public IBus Bus => _bus;

    public static async Task<AgentBus> StartAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        // A logger factory the container does not own: MassTransit keeps the first bus's log context in a static, so a
        // second bus in the same process must not find that factory disposed with the first bus's container.
        services.AddSingleton<Microsoft.Extensions.Logging.ILoggerFactory>(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        services.AddLogging();
        services.AddPlatformBus(configuration);
        var provider = services.BuildServiceProvider();
        var bus = provider.GetRequiredService<IBusControl>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await bus.StartAsync(timeout.Token);
        return new AgentBus(provider, bus);
    }

    public async ValueTask DisposeAsync()
    {
        await _bus.StopAsync(TimeSpan.FromSeconds(15));
        await _services.DisposeAsync();
    }
}
