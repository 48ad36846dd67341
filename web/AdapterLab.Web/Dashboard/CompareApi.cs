using AdapterLab.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AdapterLab.Web.Dashboard;

/// <summary><c>/api/compare</c>: the compare page's results matrix and spec difference for any experiments.</summary>
public static class CompareApi
{
    public static IEndpointRouteBuilder MapCompareApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/compare", Compare).WithTags("Experiments").WithName("CompareExperiments")
            .WithSummary("Compare experiments: results matrix (mean ± std over seeds, deltas against a baseline) and spec differences")
            .WithDescription($"ids: up to {CompareQuery.MaxExperiments} experiment ids, comma-separated. Experiments that differ only by seed share a configuration and one column (mean ± std over their seeds); seeds=true also folds in the other succeeded seeds of the selected configurations. baseline: one of ids (default: the first); each cell's delta is against its configuration's column, paired by seed where both ran the same seeds. split: test (default), validation or train. statistics=false leaves out the statistics section (intervals, paired tests, verdicts, floors) and does not read the stored predictions. 400 names the bad field.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Scopes.Read);
        return app;
    }

    private static async Task<Results<Ok<Comparison>, ValidationProblem>> Compare(
        CompareQuery query, System.Security.Claims.ClaimsPrincipal user, CancellationToken ct, string? ids = null, string? baseline = null, string? split = null, bool seeds = false, bool statistics = true)
    {
        var errors = new Dictionary<string, string[]>();
        var parsed = new List<Guid>();
        var bad = new List<string>();
        foreach (var part in (ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (Guid.TryParse(part, out var id)) { if (!parsed.Contains(id)) parsed.Add(id); }
            else bad.Add(part);
        if (bad.Count > 0) errors["ids"] = [$"not experiment ids: {string.Join(", ", bad.Take(5).Select(b => $"'{Shorten(b)}'"))}"];
        else if (parsed.Count == 0) errors["ids"] = ["give one or more experiment ids, comma-separated"];
        else if (parsed.Count > CompareQuery.MaxExperiments) errors["ids"] = [$"at most {CompareQuery.MaxExperiments} experiments"];
        Guid? baselineId = null;
        if (baseline is not null)
        {
            if (!Guid.TryParse(baseline, out var b)) errors["baseline"] = ["is not an experiment id"];
            else if (!parsed.Contains(b)) errors["baseline"] = ["must be one of ids"];
            else baselineId = b;
        }
        split ??= "test";
        if (!Comparison.Splits.Contains(split)) errors["split"] = [$"must be one of {string.Join(", ", Comparison.Splits)}"];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The comparison request is invalid");

        // Another project's experiment reads as a missing one (the same 400 as an unknown id).
        var data = await query.LoadAsync(parsed, seeds, Projects.ProjectScope.ReadableBy(Projects.ProjectAccess.Of(user)), ct, includeCurves: false, includePredictions: statistics);
        var missing = parsed.Where(id => !data.Experiments.Any(e => e.Id == id && e.Selected)).ToList();
        if (missing.Count > 0)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["ids"] = [$"no experiment with id {string.Join(", ", missing)}"] },
                title: "The comparison request is invalid");
        var baselineKey = baselineId is { } bid ? data.Experiments.First(e => e.Id == bid).ConfigurationHash : null;
        return TypedResults.Ok(Comparison.Build(data, baselineKey, split, statistics));
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
