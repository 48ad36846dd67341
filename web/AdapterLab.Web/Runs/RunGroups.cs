using AdapterLab.Data;
using AdapterLab.Statistics;
using AdapterLab.Web.Dashboard;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Runs;

/// <summary>
/// The runs table grouped by configuration (runs that differ only by seed): per configuration its runs, statuses, and for
/// each numeric column the mean with a 95 % interval over its runs (Student t over seeds — test-set sampling is not in it;
/// Compare gives the full interval from stored predictions). Newest configurations first.
/// </summary>
public sealed class RunGroups(IDbContextFactory<PlatformDbContext> dbFactory)
{
    /// <summary>Runs read per page of groups at most (a configuration with thousands of runs is summarised from its newest).</summary>
    public const int MaxRuns = 5_000;

    public sealed record Group(string ConfigurationHash, string? Name, string Method, int Runs, int Succeeded, Guid[] RunIds,
        IReadOnlyDictionary<string, Estimate?> Columns);

    public async Task<IReadOnlyList<Group>> ListAsync(ExperimentFilter filter, IReadOnlyList<RunField> columns, int pageIndex, int pageSize, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var filtered = ExperimentSearch.Source(db, filter);
        var groups = await filtered.GroupBy(e => e.ConfigurationHash)
            .Select(g => new { Hash = g.Key, Latest = g.Max(e => e.SubmittedAt), Runs = g.Count() })
            .OrderByDescending(g => g.Latest).ThenBy(g => g.Hash).Skip(pageIndex * pageSize).Take(pageSize).ToListAsync(ct);
        var hashes = groups.Select(g => g.Hash).ToList();
        var runs = await filtered.Where(e => hashes.Contains(e.ConfigurationHash)).OrderByDescending(e => e.SubmittedAt).Take(MaxRuns)
            .Select(e => new { e.Id, e.ConfigurationHash, e.Name, e.Method, e.Status }).ToListAsync(ct);
        var values = await RunColumns.ReadAsync(db, runs.Select(r => r.Id).ToList(), columns, ct);
        var byHash = runs.ToLookup(r => r.ConfigurationHash);
        return groups.Select(g =>
        {
            var members = byHash[g.Hash].ToList();
            var estimates = new Dictionary<string, Estimate?>();
            foreach (var column in columns)
            {
                var numbers = members.Select(m => values.GetValueOrDefault(m.Id)?.GetValueOrDefault(column.Text)).OfType<double>().ToList();
                var estimate = numbers.Count == 0 ? null : numbers.Count == 1 ? Estimate.Point(numbers[0], 1) : Intervals.SeedsOnly(numbers);
                // An accuracy's interval stays within [0, 1], as on the boards.
                if (estimate is not null && column is MetricField m && Estimate.IsProportion(m.Metric)) estimate = estimate.ClampedTo(0, 1);
                estimates[column.Text] = estimate;
            }
            return new Group(g.Hash, members.FirstOrDefault()?.Name, members.FirstOrDefault()?.Method ?? "", g.Runs,
                members.Count(m => m.Status == AdapterLab.Contracts.Lifecycle.ExperimentStatus.Succeeded), members.Select(m => m.Id).ToArray(), estimates);
        }).ToList();
    }
}
