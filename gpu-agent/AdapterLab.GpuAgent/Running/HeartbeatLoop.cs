using AdapterLab.Contracts.Messages;
using AdapterLab.Messaging;
using AdapterLab.Training.Native;
using MassTransit;
using Microsoft.Extensions.Options;

namespace AdapterLab.GpuAgent.Running;

/// <summary>
/// Announces the agent from a dedicated thread, so a training loop that saturates the thread pool or every core can never
/// starve the lease: the announcement lists the running attempts with their steps and is their heartbeat (one message per
/// agent and interval, however many slots it has: bench perf-fleet). While the agent drains (<see cref="AgentDrain"/>) it
/// no longer announces free slots and heartbeats each running attempt on its own instead.
/// </summary>
public sealed class HeartbeatLoop(IBus bus, IBusControl busControl, AttemptRegistry registry, RabbitMqOptions rabbit, IOptions<AgentOptions> options, ILogger<HeartbeatLoop> log) : IHostedService
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Lazy<DeviceFacts> _device = new(() => DeviceFacts.Describe(options.Value.Device));
    private Thread? _thread;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "heartbeat", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
        return Task.CompletedTask;
    }

    private void Run()
    {
        var o = options.Value;
        var interval = TimeSpan.FromSeconds(o.HeartbeatSeconds);
        // Announce only once this agent's own queue is consuming: work sent to it must not sit waiting for start-up.
        while (!_stop.IsCancellationRequested && busControl.CheckHealth().Status != BusHealthStatus.Healthy)
            _stop.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100));
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                BeatOnce(o);
            }
            catch (Exception ex)
            {
                // Never let an exception end this thread (it would end the process): log it unless we are stopping.
                if (!_stop.IsCancellationRequested) log.LogWarning(ex, "Heartbeat failed; retrying at the next interval");
            }
            _stop.Token.WaitHandle.WaitOne(interval);
        }
    }

    private void BeatOnce(AgentOptions o)
    {
        var now = DateTimeOffset.UtcNow;
        if (!registry.Draining)
        {
            bus.Publish(Announcement(o, now)).Wait(_stop.Token);
            return;
        }
        foreach (var a in registry.Snapshot())
        {
            bus.Publish(new AttemptHeartbeat { ExperimentId = a.ExperimentId, AttemptNumber = a.AttemptNumber, AgentId = o.ResolvedId, Step = a.Step, SentAt = now })
               .Wait(_stop.Token);
        }
    }

    public AgentAnnounced Announcement(AgentOptions o, DateTimeOffset now) => new()
    {
        AgentId = o.ResolvedId,
        Pool = o.Pool,
        Device = o.Device,
        DeviceName = _device.Value.Name,
        DeviceMemoryBytes = _device.Value.MemoryBytes,
        Host = Environment.MachineName,
        Slots = o.Slots,
        FreeSlots = Math.Max(0, o.Slots - registry.Count),
        QueueName = QueueNames.Agent(rabbit.QueuePrefix, o.ResolvedId),
        Running = registry.Describe(),
        Version = typeof(HeartbeatLoop).Assembly.GetName().Version?.ToString() ?? "",
        SentAt = now,
    };

    /// <summary>Publishes an announcement now (after an attempt ends, so the freed slot is used at once).</summary>
    public Task AnnounceNowAsync() => registry.Draining ? Task.CompletedTask : bus.Publish(Announcement(options.Value, DateTimeOffset.UtcNow));

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stop.Cancel();
        _thread?.Join(TimeSpan.FromSeconds(5));
        return Task.CompletedTask;
    }
}
