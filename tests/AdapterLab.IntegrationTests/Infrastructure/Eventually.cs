namespace AdapterLab.IntegrationTests.Infrastructure;

/// <summary>Polls a condition until it holds or the time is up (then fails with a description).</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string>? describe = null, TimeSpan? pollInterval = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(pollInterval ?? TimeSpan.FromMilliseconds(200));
        }
        Assert.Fail($"condition not met within {timeout}. {describe?.Invoke()}");
    }
}
