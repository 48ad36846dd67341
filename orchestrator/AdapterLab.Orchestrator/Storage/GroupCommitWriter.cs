using System.Threading.Channels;

namespace AdapterLab.Orchestrator.Storage;

/// <summary>
/// Group commit, the one way the orchestrator batches high-volume messages: every consumer hands its message here and
/// awaits it; one writer takes whatever has arrived since its last write (nothing waits for a batch to fill: a lone
/// message is written at once, or after <see cref="Linger"/> for a writer whose messages can wait), up to
/// <see cref="MaxWeight"/>, and stores it with <see cref="WriteAsync"/>. A batch that
/// fails is written again one message at a time, so a message that can never be stored fails alone (its consumer
/// retries it and MassTransit moves it to the error queue) and the others are not held back.
/// </summary>
public abstract class GroupCommitWriter<TMessage, TResult>(ILogger log) : BackgroundService
{
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    private sealed record Pending(TMessage Message, TaskCompletionSource<TResult> Done);

    /// <summary>A batch stops growing once the weights of its messages reach this.</summary>
    protected abstract int MaxWeight { get; }

    /// <summary>
    /// How long a write waits after its first message for others to join it (zero by default: no wait). Steady chatter
    /// spread evenly in time — a fleet's announcements — otherwise arrives one message per write, each its own round trip.
    /// </summary>
    protected virtual TimeSpan Linger => TimeSpan.Zero;

    /// <summary>A message's share of <see cref="MaxWeight"/> (1 by default).</summary>
    protected virtual int Weight(TMessage message) => 1;

    /// <summary>Stores a batch (all or nothing); one result per message, in order.</summary>
    public abstract Task<TResult[]> WriteAsync(IReadOnlyList<TMessage> batch, CancellationToken ct);

    /// <summary>Queues a message for the next write and returns its result once that write is stored.</summary>
    protected Task<TResult> EnqueueAsync(TMessage message, CancellationToken ct)
    {
        var pending = new Pending(message, new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending)) throw new InvalidOperationException($"{GetType().Name} has stopped");
        return pending.Done.Task.WaitAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                if (Linger > TimeSpan.Zero) await Task.Delay(Linger, stoppingToken);
                var batch = new List<Pending>();
                int weight = 0;
                while (weight < MaxWeight && reader.TryRead(out var p))
                {
                    batch.Add(p);
                    weight += Weight(p.Message);
                }
                await WriteBatchAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Unacknowledged messages come back from the broker after a restart.
            _queue.Writer.TryComplete();
            while (reader.TryRead(out var p)) p.Done.TrySetCanceled();
        }
    }

    private async Task WriteBatchAsync(List<Pending> batch, CancellationToken ct)
    {
        try
        {
            var results = await WriteAsync(batch.Select(p => p.Message).ToList(), ct);
            for (int i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
            return;
        }
        catch (Exception ex) when (batch.Count > 1 && !ct.IsCancellationRequested)
        {
            log.LogWarning(ex, "A batch of {Count} messages failed in {Writer}; writing them one at a time", batch.Count, GetType().Name);
        }
        catch (Exception ex)
        {
            batch[0].Done.TrySetException(ex);
            return;
        }
        foreach (var p in batch)
        {
            try
            {
                p.Done.TrySetResult((await WriteAsync([p.Message], ct))[0]);
            }
            catch (Exception ex)
            {
                p.Done.TrySetException(ex);
            }
        }
    }
}
