using AdapterLab.ServiceDefaults.Resilience;
using MassTransit;

namespace AdapterLab.GpuAgent.Running;

/// <summary>
/// Publishes the messages an attempt's course depends on (prepared, checkpoints, results) until the broker takes them:
/// a broker restart at the end of a run must not lose its result. The platform's delivery pipeline
/// (<see cref="RetryPipelines.UntilDelivered"/>: jittered back-off up to 30 s apart) for at most
/// <see cref="GiveUpAfter"/>, and never past the host's stop (a stopped agent's attempts are the lease reaper's).
/// </summary>
public sealed class ReliablePublisher(IBus bus, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<ReliablePublisher> log)
{
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromHours(1);

    public Task PublishAsync<T>(T message) where T : class =>
        RetryAsync(async ct =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            await bus.Publish(message, timeout.Token);
        }, typeof(T).Name);

    /// <summary>Runs <paramref name="send"/> until it succeeds, with the same back-off and deadline as a publish.</summary>
    public async Task RetryAsync(Func<CancellationToken, Task> send, string what) =>
        await RetryPipelines.UntilDelivered(time, log, what, GiveUpAfter)
            .ExecuteAsync(async ct => await send(ct), lifetime.ApplicationStopped);
}
