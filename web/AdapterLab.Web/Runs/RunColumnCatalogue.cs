using AdapterLab.Data;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Runs;

/// <summary>
/// The columns a user can add: every final metric that exists (each distinct split × task × domain × metric, found by
/// skipping through <c>ix_final_results_column</c> — one index probe per distinct key, not a scan of the results), common
/// spec fields, and the built-ins. Not cached: the scan costs one index probe per distinct key, so a metric that appeared
/// a moment ago is in the picker. Scoped like every list: a member sees the metrics of the projects they read (a join
/// over those projects' experiments); only the all-projects view uses the index skip over every result.
/// </summary>
public sealed class RunColumnCatalogue(IDbContextFactory<PlatformDbContext> dbFactory)
{
    public sealed record Column(string Key, string Group, string Description);

    public static readonly IReadOnlyList<string> SpecPaths =
    [
        "training.learningRate", "training.steps", "training.batchSize", "training.optimizer", "training.weightDecay", "training.schedule",
        "training.warmupSteps", "training.seed", "method.bottleneck", "method.scale", "method.rank", "method.alpha", "method.promptTokens",
        "method.placement", "method.estimator", "method.maskRatio", "data.labelFamily", "data.sourceDomain", "data.trainSize", "data.perClass",
        "backbone.name", "backbone.preset", "backbone.source",
    ];

    public async Task<IReadOnlyList<Column>> ListAsync(Projects.ProjectScope projects, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var keys = projects.Ids is { } ids
            ? await db.Database.SqlQueryRaw<MetricKey>(ProjectKeysSql, new Npgsql.NpgsqlParameter<Guid[]>("ids", ids.ToArray())).ToListAsync(ct)
            : await db.Database.SqlQueryRaw<MetricKey>(DistinctKeysSql).ToListAsync(ct);
        return keys.Select(k => new Column($"{k.Split}.{k.Task}.{k.Domain}.{k.Metric}", "metric", $"{k.Metric} on {k.Split} ({k.Task}, {k.Domain})"))
            .Concat(SpecPaths.Select(p => new Column(p, "spec", "spec field")))
            .Concat(BuiltinFields.All.Select(f => new Column(f.Name, "run", f.Description)))
            .ToList();
    }

    private sealed record MetricKey(string Split, string Task, string Domain, string Metric);

    /// <summary>The distinct keys of some projects' results.</summary>
    private const string ProjectKeysSql = """
        SELECT DISTINCT f.split AS "Split", f.task AS "Task", f.domain AS "Domain", f.metric AS "Metric"
        FROM final_results f JOIN experiments e ON e.id = f.experiment_id
        WHERE e.project_id = ANY(@ids)
        ORDER BY 1, 2, 3, 4 LIMIT 2000
        """;

    /// <summary>A loose index scan: each step jumps to the next distinct key in the index.</summary>
    private const string DistinctKeysSql = """
        WITH RECURSIVE k AS (
            (SELECT split, task, domain, metric FROM final_results ORDER BY split, task, domain, metric LIMIT 1)
            UNION ALL
            SELECT n.split, n.task, n.domain, n.metric FROM k CROSS JOIN LATERAL (
                SELECT f.split, f.task, f.domain, f.metric FROM final_results f
                WHERE (f.split, f.task, f.domain, f.metric) > (k.split, k.task, k.domain, k.metric)
                ORDER BY f.split, f.task, f.domain, f.metric LIMIT 1) n
        )
        SELECT split AS "Split", task AS "Task", domain AS "Domain", metric AS "Metric" FROM k LIMIT 2000
        """;
}
