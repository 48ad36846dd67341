using MassTransit;

namespace AdapterLab.GpuAgent.Running;

/// <summary>
/// Publishes the messages that end an attempt (Succeeded, Failed, Cancelled) until the broker takes them: a broker
/// restart at the end of a run must not lose its result. Backs off up to 30 s between tries, for up to an hour.
/// </summary>
public sealed class ReliablePublisher(IBus bus, ILogger<ReliablePublisher> log)
{
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromHours(1);

    public Task PublishAsync<T>(T message) where T : class =>
        RetryAsync(async () =>
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await bus.Publish(message, timeout.Token);
        }, typeof(T).Name);

    /// <summary>Runs <paramref name="send"/> until it succeeds, with the same back-off and deadline as a publish.</summary>
    public async Task RetryAsync(Func<Task> send, string what)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        var deadline = DateTimeOffset.UtcNow + GiveUpAfter;
        while (true)
        {
            try
            {
                await send();
                return;
            }
            catch (Exception ex) when (DateTimeOffset.UtcNow < deadline)
            {
                log.LogWarning("Publishing {Message} failed ({Error}); retrying in {Delay}", what, ex.Message, delay);
                await Task.Delay(delay);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 30_000));
            }
        }
    }
}
