using System.Globalization;
using System.Security.Claims;
using System.Text;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Web.Auth;
using AdapterLab.Web.Experiments;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

using AdapterLab.Web.Projects;

namespace AdapterLab.Web.Leaderboards;

/// <summary><c>/api/leaderboards</c>: boards, rankings (JSON or CSV) and each board's pinned baseline configuration.</summary>
public static class LeaderboardsApi
{
    private const string Tag = "Leaderboards";

    public static IEndpointRouteBuilder MapLeaderboardsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/leaderboards").WithTags(Tag)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("/", List).WithName("ListLeaderboards")
            .WithSummary("Boards: dataset (label family) × domain × task × metric; id is dataset.labelFamily.domain.task.metric")
            .RequireAuthorization(Scopes.Read);
        api.MapGet("/{board}", Rank).WithName("GetLeaderboard").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Configurations ranked by the mean over seeds on the test split, the best 100 unless limit says otherwise (at most 5,000; ?format=csv for CSV)")
            .WithDescription("Each configuration (a spec minus its seed) is scored by the final model of the latest succeeded experiment per seed; its validation mean is shown beside it. With ± std, trainable parameters, training cost, the suite run it came from, delta to the pinned baseline and Pareto optimality (score vs trainable parameters).")
            .RequireAuthorization(Scopes.Read);
        api.MapPut("/{board}/baseline", Pin).WithName("PinLeaderboardBaseline").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Pin the board's baseline configuration (the project's admins)")
            .RequireAuthorization(Scopes.Read);
        return app;
    }

    /// <summary>Body of <c>PUT /api/leaderboards/{board}/baseline</c>.</summary>
    public sealed record PinRequest(string ConfigurationHash);

    private static async Task<IResult> List(string? project, ClaimsPrincipal user, ProjectDirectory projects, PlatformDbContext db, CancellationToken ct)
    {
        var selection = await OneProjectAsync(user, project, projects, ct);
        return selection.Project is { } p ? TypedResults.Ok(await LeaderboardQueries.BoardsAsync(db, p.Id, ct)) : Refused(selection);
    }

    /// <summary>Boards are per project: a read names one (<c>?project=</c>) or uses the caller's current project.</summary>
    private static async Task<ProjectSelection> OneProjectAsync(ClaimsPrincipal user, string? project, ProjectDirectory projects, CancellationToken ct)
    {
        if (project?.Trim() is ProjectDirectory.AllProjects or "all")
            return new ProjectSelection(ProjectScope.Of([]), null, "leaderboards are per project; name one", StatusCodes.Status400BadRequest);
        return await projects.SelectAsync(user, project, ct);
    }

    private static IResult Refused(ProjectSelection selection) => selection.Ok
        ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No project", detail: "project: you are a member of no project")
        : Projects.ProjectProblems.Refused(selection);

    private static async Task<IResult> Rank(string board, string? project, ClaimsPrincipal user, ProjectDirectory projects, PlatformDbContext db,
        LeaderboardBoundsCache bounds, CancellationToken ct, string? format = null, int? limit = null)
    {
        var selection = await OneProjectAsync(user, project, projects, ct);
        if (selection.Project is not { } p) return Refused(selection);
        var ranking = await LeaderboardQueries.RankAsync(db, p.Id, board, ct, Math.Clamp(limit ?? LeaderboardQueries.DefaultLimit, 1, LeaderboardQueries.MaxLimit), bounds);
        if (ranking is null) return NotFound(board);
        if (string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase))
            return TypedResults.File(Encoding.UTF8.GetBytes(Csv(ranking)), "text/csv", $"{board}.csv");
        return TypedResults.Ok(ranking);
    }

    public static string Csv(BoardRanking ranking)
    {
        var sb = new StringBuilder();
        sb.AppendLine("rank,configuration_hash,name,kind,method,preset,mean,std,seeds,validation_mean,trainable_parameters,total_parameters,steps,images_per_second,train_seconds,suite,suite_run_id,latest_experiment_id,baseline,delta_to_baseline,pareto,lower,upper,interval_method,rank_best,rank_worst,floor,at_floor,identical_seeds");
        foreach (var e in ranking.Entries)
            sb.AppendLine(string.Join(',', e.Rank, e.ConfigurationHash, Quote(e.Name), e.Kind, e.Method, e.Preset, F(e.Mean), F(e.Std), e.Seeds,
                F(e.ValidationMean), e.TrainableParameters, e.TotalParameters, e.Steps, F(e.ImagesPerSecond), F(e.TrainSeconds), Quote(e.Suite),
                e.SuiteRunId, e.LatestExperimentId, e.IsBaseline ? "true" : "false", F(e.DeltaToBaseline), e.ParetoOptimal ? "true" : "false",
                F(e.Lower), F(e.Upper), e.IntervalMethod, e.RankBest, e.RankWorst, F(e.Floor), e.AtFloor ? "true" : "false", e.IdenticalSeeds ? "true" : "false"));
        return sb.ToString();
    }

    private static string F(double? v) => v?.ToString("R", CultureInfo.InvariantCulture) ?? "";

    /// <summary>
    /// A text cell: quoted when it holds a separator, and neutralised when a spreadsheet would read it as a formula
    /// (a leading <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, tab or CR gets a leading apostrophe, OWASP's advice).
    /// </summary>
    public static string Quote(string? s)
    {
        if (string.IsNullOrEmpty(s)) return "";
        if (s[0] is '=' or '+' or '-' or '@' or '\t' or '\r') s = "'" + s;
        return s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{s.Replace("\"", "\"\"")}\"" : s;
    }

    private static async Task<IResult> Pin(
        string board, string? project, PinRequest body, ClaimsPrincipal user, ProjectDirectory projects, PlatformDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var selection = await OneProjectAsync(user, project, projects, ct);
        if (selection.Project is not { } p) return Refused(selection);
        if (!await db.LeaderboardEntries.AnyAsync(e => e.ProjectId == p.Id && e.Board == board, ct)) return NotFound(board);
        if (!ProjectAccess.Of(user).CanAdminister(p.Id))
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: $"project: pinning a baseline needs the admin role in '{p.Name}'");
        if (!await db.LeaderboardEntries.AnyAsync(e => e.ProjectId == p.Id && e.Board == board && e.ConfigurationHash == body.ConfigurationHash, ct))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["configurationHash"] = ["is not ranked on this board"] });
        var pin = await db.LeaderboardPins.SingleOrDefaultAsync(x => x.ProjectId == p.Id && x.Board == board, ct);
        if (pin is null) db.LeaderboardPins.Add(pin = new LeaderboardPin { ProjectId = p.Id, Board = board });
        pin.BaselineConfigurationHash = body.ConfigurationHash;
        pin.PinnedBy = Actor.Of(user).Name;
        pin.PinnedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult NotFound(string board) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Leaderboard not found", detail: $"no board '{board}'");
}
