using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Data;
using AdapterLab.Web.Experiments;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Dashboard;

/// <summary>One compared experiment.</summary>
public sealed record CompareExperiment(
    Guid Id, string Label, string Kind, string Method, string Status, string ConfigurationHash, int Seed, long TrainableParameters,
    string SpecJson, bool Selected, IReadOnlyList<FinalResultView> Results);

/// <summary>What the compare page shows: the experiments (plus their configurations' other seeds when asked), curves and affinity.</summary>
public sealed record CompareData(
    IReadOnlyList<CompareExperiment> Experiments,
    IReadOnlyList<(string? Experiment, MetricPointView Point)> Points,
    IReadOnlyList<(string Label, AffinityView Matrix)> LatestAffinity)
{
    /// <summary>Per-example predictions of the final evaluation, per experiment that stored them.</summary>
    public IReadOnlyDictionary<Guid, PredictionsFile> Predictions { get; init; } = new Dictionary<Guid, PredictionsFile>();
}

/// <summary>Loads experiments for comparison, across kinds, suites and domains.</summary>
public sealed class CompareQuery(IDbContextFactory<PlatformDbContext> dbFactory, PredictionsStore predictions)
{
    public const int MaxExperiments = 20;
    private const int MaxSiblingsPerConfiguration = 20;

    /// <param name="includeSeeds">Also fold in succeeded runs of the same configurations (other seeds) for mean ± std.</param>
    /// <param name="includeCurves">Also read the selected experiments' metric points and latest affinity matrices (the page's charts).</param>
    /// <param name="includePredictions">Also read the experiments' stored per-example predictions (the statistics' input).</param>
    /// <param name="readable">The projects the caller may read: an experiment of another project is left out as if missing, and
    /// other seeds are folded in only from the selected experiments' own projects.</param>
    public async Task<CompareData> LoadAsync(IReadOnlyList<Guid> ids, bool includeSeeds, Projects.ProjectScope readable, CancellationToken ct,
        bool includeCurves = true, bool includePredictions = true)
    {
        ids = ids.Distinct().Take(MaxExperiments).ToList();
        var projects = readable.Ids?.ToArray();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Experiments.AsNoTracking().Where(e => ids.Contains(e.Id) && (projects == null || projects.Contains(e.ProjectId)))
            .Select(e => new { e.Id, e.Name, e.Kind, e.Method, Status = e.Status.ToString(), e.ConfigurationHash, e.Seed, e.TrainableParameters, e.SpecJson, e.ProjectId })
            .ToListAsync(ct);
        var selected = ids.Select(id => rows.FirstOrDefault(r => r.Id == id)).Where(r => r is not null).Select(r => r!).ToList();
        var all = selected.Select(r => (Row: r, Selected: true)).ToList();
        if (includeSeeds)
        {
            var configs = selected.Select(r => r.ConfigurationHash).Distinct().ToList();
            var own = selected.Select(r => r.ProjectId).Distinct().ToList();
            var siblings = await db.Experiments.AsNoTracking()
                .Where(e => configs.Contains(e.ConfigurationHash) && own.Contains(e.ProjectId) && !ids.Contains(e.Id) && e.Status == ExperimentStatus.Succeeded)
                .OrderByDescending(e => e.SubmittedAt).Take(MaxSiblingsPerConfiguration * configs.Count)
                .Select(e => new { e.Id, e.Name, e.Kind, e.Method, Status = e.Status.ToString(), e.ConfigurationHash, e.Seed, e.TrainableParameters, e.SpecJson, e.ProjectId })
                .ToListAsync(ct);
            all.AddRange(siblings.Select(s => (Row: s, Selected: false)));
        }
        var allIds = all.Select(a => a.Row.Id).ToList();
        var results = (await db.FinalResults.AsNoTracking().Where(r => allIds.Contains(r.ExperimentId))
                .Select(r => new { r.ExperimentId, View = new FinalResultView(r.Split, r.Task, r.Domain, r.Metric, r.Value) }).ToListAsync(ct))
            .ToLookup(r => r.ExperimentId, r => r.View);
        var experiments = all.Select(a => new CompareExperiment(a.Row.Id, Label(a.Row.Name, a.Row.Id), a.Row.Kind, a.Row.Method, a.Row.Status,
            a.Row.ConfigurationHash, a.Row.Seed, a.Row.TrainableParameters, a.Row.SpecJson, a.Selected, results[a.Row.Id].ToList())).ToList();

        var stored = includePredictions ? await predictions.LoadAsync(db, allIds, ct) : new Dictionary<Guid, PredictionsFile>();
        if (!includeCurves) return new CompareData(experiments, [], []) { Predictions = stored };
        var selectedIds = selected.Select(s => s.Id).ToList();
        var labels = experiments.Where(e => e.Selected).ToDictionary(e => e.Id, e => e.Label);
        var points = await db.MetricPoints.AsNoTracking().Where(m => selectedIds.Contains(m.ExperimentId))
            .OrderBy(m => m.Step)
            .Select(m => new { m.ExperimentId, View = new MetricPointView(m.Name, m.Split, m.Task, m.Domain, m.Step, m.AttemptNumber, m.Value) })
            .ToListAsync(ct);
        // Latest matrix per experiment × estimator.
        var affinity = await db.AffinityMatrices.AsNoTracking().Where(a => selectedIds.Contains(a.ExperimentId))
            .GroupBy(a => new { a.ExperimentId, a.Estimator })
            .Select(g => g.OrderByDescending(a => a.Step).First())
            .ToListAsync(ct);
        return new CompareData(experiments,
            points.Select(p => ((string?)labels[p.ExperimentId], p.View)).ToList(),
            affinity.OrderBy(a => selectedIds.IndexOf(a.ExperimentId)).ThenBy(a => a.Estimator)
                .Select(a => (labels[a.ExperimentId], new AffinityView(a.Step, a.Estimator, a.TaskOrder, a.Values))).ToList()) { Predictions = stored };
    }

    /// <summary>A short unique label: the name (if any) and the id's first 8 characters.</summary>
    public static string Label(string? name, Guid id) => string.IsNullOrWhiteSpace(name) ? id.ToString()[..8] : $"{name} ({id.ToString()[..8]})";
}
