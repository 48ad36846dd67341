using AdapterLab.Contracts.Messages;
using MassTransit;
using Microsoft.Extensions.Options;

namespace AdapterLab.GpuAgent.Running;

/// <summary>
/// Graceful shutdown (SIGTERM, a Kubernetes pod deletion, Ctrl+C): before any service stops — the bus included — the
/// agent tells the orchestrator it is leaving (no more work is sent to it), stops taking work, interrupts its running
/// attempts, which checkpoint and hand themselves back (requeued at no cost, resumed wherever they are dispatched next),
/// and waits for them up to <see cref="AgentOptions.DrainSeconds"/>. Heartbeats continue meanwhile, so no lease lapses
/// while a checkpoint uploads. The host's shutdown timeout and a pod's termination grace period must exceed it.
/// </summary>
public sealed class AgentDrain(IBus bus, AttemptRegistry registry, IOptions<AgentOptions> options, ILogger<AgentDrain> log) : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var running = registry.Count;
        log.LogInformation("Draining agent {AgentId}: {Running} attempt(s) to hand back, up to {Seconds} s", o.ResolvedId, running, o.DrainSeconds);
        // Announcements stop first (the heartbeats that keep the leases alive meanwhile are the attempts' own), then the
        // stop notice: its time is after every announcement this agent sent, which is what the orchestrator compares — an
        // announcement still in flight does not revive a stopped agent, whichever arrives first.
        registry.BeginDrain();
        await AnnounceStoppingAsync(o);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(o.DrainSeconds));
        if (await registry.WaitUntilEmptyAsync(deadline.Token))
            log.LogInformation("Drained: every attempt handed back");
        else
            log.LogWarning("Drain timed out with {Running} attempt(s) still running; their leases will expire and they resume from their last checkpoint", registry.Count);
    }

    private async Task AnnounceStoppingAsync(AgentOptions o)
    {
        try
        {
            using var announce = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await bus.Publish(new AgentStopping { AgentId = o.ResolvedId, SentAt = DateTimeOffset.UtcNow }, announce.Token);
        }
        catch (Exception ex)
        {
            log.LogWarning(ex, "Could not announce shutdown; the orchestrator will notice the silence");
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
