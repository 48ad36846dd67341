using AdapterLab.Web.Dashboard;

namespace AdapterLab.Web.Tests;

public sealed class DurationsTests
{
    [Theory]
    [InlineData(2 * 24 * 3600, "2 d")]
    [InlineData(2 * 3600, "2 h")]
    [InlineData(5400, "1 h 30 min")]
    [InlineData(45, "45 s")]
    [InlineData(90, "1 min 30 s")]
    [InlineData(26 * 3600 + 60, "1 d 2 h 1 min")]
    public void Durations_read_as_people_write_them(int seconds, string expected) =>
        Assert.Equal(expected, Durations.Describe(TimeSpan.FromSeconds(seconds)));
}

public sealed class TimestampsTests
{
    [Fact]
    public void Every_timestamp_shows_in_utc_and_says_so()
    {
        var at = new DateTimeOffset(2026, 12, 4, 21, 13, 51, TimeSpan.FromHours(1));
        Assert.Equal("2026-12-04 20:13:51 UTC", AdapterLab.Web.Dashboard.Timestamps.Show(at));
        Assert.Equal("—", AdapterLab.Web.Dashboard.Timestamps.Show((DateTimeOffset?)null));
    }
}
