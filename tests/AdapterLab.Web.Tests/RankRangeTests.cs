using AdapterLab.Data.Leaderboards;

namespace AdapterLab.Web.Tests;

/// <summary>Rank ranges by binary search over a board's sorted bounds agree with counting every entry.</summary>
public sealed class RankRangeTests
{
    [Fact]
    public void Counts_by_binary_search_equal_the_brute_force_counts_including_ties_and_zero_width_intervals()
    {
        var random = new Random(5);
        List<(double? Lower, double? Upper)> entries = Enumerable.Range(0, 2000).Select(_ =>
        {
            // Rounded to three decimals so that bounds tie often; one in ten a zero-width interval (identical seeds).
            double mean = Math.Round(random.NextDouble(), 3);
            double half = random.Next(10) == 0 ? 0 : Math.Round(random.NextDouble() * 0.05, 3);
            return ((double?)(mean - half), (double?)(mean + half));
        }).ToList();
        entries.Add((null, null)); // an entry without an interval
        var bounds = new LeaderboardRankRanges.Bounds(
            entries.Where(e => e.Lower is not null).Select(e => e.Lower!.Value).Order().ToArray(),
            entries.Where(e => e.Upper is not null).Select(e => e.Upper!.Value).Order().ToArray());
        foreach (var e in entries)
        {
            var (above, below) = LeaderboardRankRanges.Count(bounds, e.Lower, e.Upper);
            if (e.Lower is null) { Assert.Equal((0, 0), (above, below)); continue; }
            Assert.Equal(entries.Count(o => o.Lower > e.Upper), above);
            Assert.Equal(entries.Count(o => o.Upper < e.Lower), below);
        }
    }
}
