using System.Collections.Concurrent;
using AdapterLab.Data;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Auth;

/// <summary>
/// Keeps <c>api_keys.last_used_at</c> current without costing requests anything: a successful authentication records the
/// use in memory, and at most once per <see cref="Interval"/> per key a write goes to the database in the background. The
/// write is conditional (only when the stored time is older than the interval), so several web instances stay within the
/// same bound; a failed write is logged and never reaches the request.
/// </summary>
public sealed class ApiKeyUsage(IDbContextFactory<PlatformDbContext> dbFactory, TimeProvider clock, ILogger<ApiKeyUsage> log)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _lastWritten = new();

    /// <summary>Notes a successful use of key <paramref name="keyId"/>; returns at once.</summary>
    public void Record(Guid keyId)
    {
        var now = clock.GetUtcNow();
        // Claim this interval's write for the key; a concurrent request that loses the race skips it.
        while (true)
        {
            if (_lastWritten.TryGetValue(keyId, out var last))
            {
                if (now - last < Interval) return;
                if (_lastWritten.TryUpdate(keyId, now, last)) break;
            }
            else if (_lastWritten.TryAdd(keyId, now)) break;
        }
        _ = Task.Run(() => WriteAsync(keyId, now));
    }

    private async Task WriteAsync(Guid keyId, DateTimeOffset now)
    {
        try
        {
            using var timeout = new CancellationTokenSource(WriteTimeout);
            await using var db = await dbFactory.CreateDbContextAsync(timeout.Token);
            var staleBefore = now - Interval;
            await db.ApiKeys.Where(k => k.Id == keyId && (k.LastUsedAt == null || k.LastUsedAt < staleBefore))
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), timeout.Token);
        }
        catch (Exception ex)
        {
            // Let the next use after the interval try again.
            _lastWritten.TryRemove(new KeyValuePair<Guid, DateTimeOffset>(keyId, now));
            log.LogWarning(ex, "Could not record the use of API key {KeyId}", keyId);
        }
    }
}
