using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Suites;
using AdapterLab.Data;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Suites;

/// <summary>Reads shared by the API and the Suites pages.</summary>
public static class SuiteQueries
{
    /// <summary>The suites of the projects in <paramref name="projects"/>, by name.</summary>
    public static async Task<List<SuiteSummary>> ListAsync(PlatformDbContext db, Projects.ProjectScope projects, CancellationToken ct)
    {
        var ids0 = projects.Ids?.ToArray();
        var suites = await db.Suites.AsNoTracking().Where(s => ids0 == null || ids0.Contains(s.ProjectId)).OrderBy(s => s.Name).ToListAsync(ct);
        var ids = suites.Select(s => s.Id).ToList();
        var lastRuns = await db.SuiteRuns.AsNoTracking().Where(r => ids.Contains(r.SuiteId))
            .GroupBy(r => r.SuiteId).Select(g => g.OrderByDescending(r => r.CreatedAt).First()).ToListAsync(ct);
        return suites.Select(s =>
        {
            SuiteDefinition? d = null;
            int count = 0;
            try { d = SuiteDefinition.Parse(s.DefinitionJson); count = SuiteExpansion.Expand(d).Count; }
            catch (Exception ex) when (ex is SuiteDefinitionException or System.Text.Json.JsonException) { }
            var last = lastRuns.FirstOrDefault(r => r.SuiteId == s.Id);
            return new SuiteSummary(s.Name, s.Version, d?.Description, s.Cron, s.Window, s.BaselineRunId, count,
                last is null ? null : SuiteViews.Run(last, s.Name), s.UpdatedAt);
        }).ToList();
    }

    public static async Task<SuiteDetails?> GetAsync(PlatformDbContext db, string name, CancellationToken ct, int runs = 20)
    {
        var s = await db.Suites.AsNoTracking().SingleOrDefaultAsync(x => x.Name == name, ct);
        if (s is null) return null;
        var recent = await db.SuiteRuns.AsNoTracking().Where(r => r.SuiteId == s.Id).OrderByDescending(r => r.CreatedAt).Take(runs).ToListAsync(ct);
        var definition = SuiteDefinition.Parse(s.DefinitionJson);
        IReadOnlyList<ExpandedView> expanded;
        try
        {
            expanded = SuiteExpansion.Expand(definition)
                .Select(x => new ExpandedView(x.Entry, x.Label, x.Seed, x.Spec.Name, x.Spec.Kind, x.Spec.Method.Name, x.Spec.Backbone.Preset)).ToList();
        }
        catch (SuiteDefinitionException) { expanded = []; }
        return new SuiteDetails(s.Name, s.Version, definition.Description, s.Cron, s.Window, s.BaselineRunId,
            SuiteViews.Element(s.DefinitionJson)!.Value, expanded, recent.Select(r => SuiteViews.Run(r, s.Name)).ToList(), s.UpdatedAt);
    }

    public static async Task<SuiteRunDetails?> GetRunAsync(PlatformDbContext db, Guid id, CancellationToken ct)
    {
        var r = await db.SuiteRuns.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, ct);
        if (r is null) return null;
        var suite = await db.Suites.AsNoTracking().Where(s => s.Id == r.SuiteId).Select(s => s.Name).SingleAsync(ct);
        var counts = await db.Experiments.AsNoTracking().Where(e => e.SuiteRunId == id).GroupBy(e => e.Status)
            .Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        int Count(params ExperimentStatus[] s) => counts.Where(c => s.Contains(c.Key)).Sum(c => c.Count);
        var progress = new SuiteRunProgress(
            Math.Max(r.ExperimentCount, counts.Sum(c => c.Count)),
            Count(ExperimentStatus.Queued),
            counts.Where(c => !c.Key.IsTerminal() && c.Key != ExperimentStatus.Queued).Sum(c => c.Count),
            Count(ExperimentStatus.Succeeded), Count(ExperimentStatus.Failed), Count(ExperimentStatus.Cancelled));
        var sweeps = await SweepsOfRunsAsync(db, [id], ct);
        return new SuiteRunDetails(r.Id, suite, r.SuiteVersion, r.Status, r.Trigger, r.TriggeredBy, r.CreatedAt, r.FinishedAt, r.Note,
            progress, SuiteViews.Element(r.PlanJson), SuiteViews.Element(r.SummaryJson), sweeps[id].ToList());
    }

    /// <summary>The sweeps each of <paramref name="runIds"/> started, oldest first.</summary>
    public static async Task<ILookup<Guid, SuiteRunSweep>> SweepsOfRunsAsync(PlatformDbContext db, IReadOnlyCollection<Guid> runIds, CancellationToken ct)
    {
        var ids = runIds.Select(i => (Guid?)i).ToList();
        var rows = await db.Sweeps.AsNoTracking().Where(w => ids.Contains(w.SuiteRunId)).OrderBy(w => w.CreatedAt).ThenBy(w => w.Id)
            .Select(w => new { w.Id, w.Name, w.Status, w.SuiteRunId }).ToListAsync(ct);
        return rows.ToLookup(w => w.SuiteRunId!.Value, w => new SuiteRunSweep(w.Id, w.Name, w.Status, $"/api/sweeps/{w.Id}"));
    }
}
