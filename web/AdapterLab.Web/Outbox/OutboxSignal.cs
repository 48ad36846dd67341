namespace AdapterLab.Web.Outbox;

/// <summary>In-process doorbell: a commit that wrote outbox rows rings it so the relay publishes at once instead of at its next scan.</summary>
public sealed class OutboxSignal
{
    private readonly SemaphoreSlim _bell = new(0, 1);

    /// <summary>Wakes the relay (several rings before it wakes count as one).</summary>
    public void Ring()
    {
        try { _bell.Release(); }
        catch (SemaphoreFullException) { /* already rung; the relay will see every row anyway */ }
    }

    /// <summary>Waits for a ring or until <paramref name="timeout"/> passes.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => _bell.WaitAsync(timeout, ct);
}
