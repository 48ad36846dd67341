using System.Security.Claims;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Suites;
using AdapterLab.Data;
using AdapterLab.Web.Auth;
using AdapterLab.Web.Hosting;
using AdapterLab.Web.Experiments;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Suites;

/// <summary>
/// <c>/api/suites</c> and <c>/api/suite-runs</c>: list, inspect, edit (experiments:write) and trigger (suites:trigger) benchmark
/// suites; follow their runs. Editing needs <c>experiments:write</c> because a suite is a recipe for experiments.
/// </summary>
public static class SuitesApi
{
    private const string Tag = "Suites";
    public const string IdempotencyHeader = "Idempotency-Key";

    public static IEndpointRouteBuilder MapSuitesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/suites").WithTags(Tag)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("/", List).WithName("ListSuites").WithSummary("Suites with their schedule, window and latest run")
            .RequireAuthorization(Scopes.Read);
        api.MapGet("/{name}", Get).WithName("GetSuite").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("A suite: definition, the experiments it expands into, recent runs").RequireAuthorization(Scopes.Read);
        api.MapPut("/{name}", Put).WithName("PutSuite")
            .WithSummary("Create a suite or store a new version of it (JSON, or YAML with Content-Type application/yaml)")
            .WithDescription("The definition is expanded and every spec validated first; an invalid definition is a 422 naming each path. The suite's cron (field schedule) is registered with Hangfire.")
            .Accepts<SuiteDefinition>("application/json", "application/yaml")
            .WithBodyLimit(Hosting.RequestLimits.SuiteBytes)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .RequireAuthorization(Scopes.ExperimentsWrite);
        api.MapGet("/{name}/estimate", Estimate).WithName("EstimateSuite").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Estimated wall time of a run on the agents available now, against the suite's window")
            .RequireAuthorization(Scopes.Read);
        api.MapGet("/{name}/runs", Runs).WithName("ListSuiteRuns").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("The suite's runs, newest first (skipped and refused triggers included)").RequireAuthorization(Scopes.Read);
        api.MapPost("/{name}/runs", Trigger).WithName("TriggerSuite")
            .WithSummary("Start a run of the suite")
            .WithDescription("202 with the run id. An Idempotency-Key header makes retries return the same run. 409 when a run of the suite is still active (the trigger is recorded as skipped); 422 when the estimate does not fit the suite's window (add ?trim=true to run the part that fits). Rate-limited per API key (429).")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity).ProducesProblem(StatusCodes.Status429TooManyRequests)
            .RequireAuthorization(Scopes.SuitesTrigger)
            .RequireRateLimiting(SuiteRateLimits.TriggerPolicy);
        api.MapPut("/{name}/baseline", PinBaseline).WithName("PinSuiteBaseline").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Pin the run every later run of the suite is compared with (admin)")
            .RequireAuthorization(Scopes.Admin);

        app.MapGet("/api/suite-runs/{id:guid}", GetRun).WithTags(Tag).WithName("GetSuiteRun")
            .WithSummary("A suite run: progress while running; the summary (results, failures, comparisons, regressions) once ended")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Scopes.Read);
        return app;
    }

    /// <summary>A built-in suite (no owner) is the platform's: only platform admins change it; any other, its owner or its project's admins.</summary>
    private static bool MayChange(ClaimsPrincipal user, Guid project, string? ownerId) =>
        ownerId is null ? ExperimentAccess.IsAdmin(user) : ExperimentAccess.CanManage(user, project, ownerId);

    /// <summary>Body of <c>PUT /api/suites/{name}/baseline</c>.</summary>
    public sealed record BaselineRequest(Guid RunId);

    private static async Task<Results<Ok<List<SuiteSummary>>, ProblemHttpResult>> List(string? project, ClaimsPrincipal user, Projects.ProjectDirectory projects,
        PlatformDbContext db, CancellationToken ct)
    {
        var selection = await projects.SelectAsync(user, project, ct);
        if (!selection.Ok) return Projects.ProjectProblems.Refused(selection);
        return TypedResults.Ok(await SuiteQueries.ListAsync(db, selection.Scope, ct));
    }

    private static async Task<Results<Ok<SuiteDetails>, ProblemHttpResult>> Get(string name, PlatformDbContext db, CancellationToken ct) =>
        await SuiteQueries.GetAsync(db, name, ct) is { } d ? TypedResults.Ok(d) : NotFound(name);

    private static async Task<Results<Ok<SuiteDetails>, Created<SuiteDetails>, ValidationProblem, ProblemHttpResult>> Put(
        string name, string? project, HttpRequest request, ClaimsPrincipal user, SuiteCatalogue catalogue, PlatformDbContext db,
        Projects.ProjectDirectory projects, CancellationToken ct)
    {
        // Ownership first: a suite that is not yours is refused whatever the body holds. A new suite goes to the project
        // named (default: the caller's current one), which the caller must be allowed to submit to.
        var existing = await db.Suites.AsNoTracking().Where(s => s.Name == name).Select(s => new { s.OwnerId, s.ProjectId }).SingleOrDefaultAsync(ct);
        if (existing is not null && !MayChange(user, existing.ProjectId, existing.OwnerId))
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not your suite", detail: SuiteCatalogue.NotYours(name, existing.OwnerId));
        Guid? target = null;
        if (existing is null)
        {
            var selection = await projects.TargetAsync(user, project, ct);
            if (!selection.Ok) return Projects.ProjectProblems.Refused(selection);
            target = selection.Project!.Id;
        }
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(ct);
        SuiteDefinition definition;
        try { definition = SuiteFiles.Parse(body); }
        catch (FormatException ex) { return Invalid(new Dictionary<string, string[]> { ["$"] = [ex.Message] }); }
        if (string.IsNullOrEmpty(definition.Name)) definition = definition with { Name = name };
        if (definition.Name != name) return Invalid(new Dictionary<string, string[]> { ["name"] = [$"must match the URL ('{name}')"] });
        SuiteCatalogue.SaveResult saved;
        try { saved = await catalogue.SaveAsync(definition, ct, ownerId: Actor.OwnerIdOf(user), mayChange: s => MayChange(user, s.ProjectId, s.OwnerId), projectId: target); }
        catch (SuiteDefinitionException ex) { return Invalid(ex.Errors); }
        catch (SuiteOwnershipException ex) { return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not your suite", detail: ex.Message); }
        var details = (await SuiteQueries.GetAsync(db, name, ct))!;
        return saved.Created ? TypedResults.Created($"/api/suites/{name}", details) : TypedResults.Ok(details);
    }

    private static async Task<Results<Ok<EstimateView>, ValidationProblem, ProblemHttpResult>> Estimate(
        string name, PlatformDbContext db, SuiteRunLauncher launcher, TimeProvider clock, CancellationToken ct)
    {
        var suite = await db.Suites.AsNoTracking().SingleOrDefaultAsync(s => s.Name == name, ct);
        if (suite is null) return NotFound(name);
        try
        {
            return TypedResults.Ok(SuiteViews.Estimate(await launcher.EstimateStoredAsync(db, suite, clock.GetUtcNow(), ct)));
        }
        catch (SuiteDefinitionException ex) { return Invalid(ex.Errors); }
    }

    private static async Task<Results<Ok<List<SuiteRunView>>, ProblemHttpResult>> Runs(string name, PlatformDbContext db, CancellationToken ct, int? limit = 50)
    {
        var suite = await db.Suites.AsNoTracking().SingleOrDefaultAsync(s => s.Name == name, ct);
        if (suite is null) return NotFound(name);
        var runs = await db.SuiteRuns.AsNoTracking().Where(r => r.SuiteId == suite.Id).OrderByDescending(r => r.CreatedAt)
            .Take(Math.Clamp(limit ?? 50, 1, 500)).ToListAsync(ct);
        return TypedResults.Ok(runs.Select(r => SuiteViews.Run(r, name)).ToList());
    }

    private static async Task<Results<Accepted<SuiteRunAccepted>, ValidationProblem, ProblemHttpResult>> Trigger(
        string name, ClaimsPrincipal user, SuiteRunLauncher launcher, CancellationToken ct,
        [FromHeader(Name = IdempotencyHeader)] string? idempotencyKey = null, bool trim = false)
    {
        if (idempotencyKey is { Length: > 200 })
            return Invalid(new Dictionary<string, string[]> { [IdempotencyHeader] = ["at most 200 characters"] });
        var key = string.IsNullOrWhiteSpace(idempotencyKey) ? null : idempotencyKey.Trim();
        var result = await launcher.LaunchAsync(new SuiteLaunch(name, "api", Actor.Of(user), key, trim, Projects.ProjectAccess.Of(user)), ct);
        return Answer(name, result);
    }

    /// <summary>Maps a launch result to the trigger's HTTP answer (the dashboard's trigger button shows the same words).</summary>
    public static Results<Accepted<SuiteRunAccepted>, ValidationProblem, ProblemHttpResult> Answer(string name, SuiteLaunchResult result) => result.Outcome switch
    {
        LaunchOutcome.Started or LaunchOutcome.Existing => TypedResults.Accepted($"/api/suite-runs/{result.Run!.Id}",
            new SuiteRunAccepted(result.Run.Id, name, result.Run.Status, result.Run.ExperimentCount, result.Outcome == LaunchOutcome.Existing, $"/api/suite-runs/{result.Run.Id}")),
        LaunchOutcome.NotFound => NotFound(name),
        LaunchOutcome.Forbidden => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: $"project: {result.Detail}"),
        // The stored definition no longer expands (the platform's rules changed): the caller cannot fix it by retrying.
        LaunchOutcome.Invalid => TypedResults.Problem(new HttpValidationProblemDetails(result.Errors ?? new Dictionary<string, string[]> { ["definition"] = [result.Detail ?? ""] })
        {
            Status = StatusCodes.Status422UnprocessableEntity, Title = result.Detail,
        }),
        LaunchOutcome.Skipped => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "A run of this suite is still active",
            detail: result.Detail, extensions: new Dictionary<string, object?> { ["activeRunId"] = result.ActiveRunId, ["skippedRunId"] = result.Run?.Id }),
        _ => TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "The suite does not fit its window",
            detail: result.Detail, extensions: new Dictionary<string, object?>
            {
                ["estimateSeconds"] = result.Estimate is { } e && e.Makespan != TimeSpan.MaxValue ? Math.Round(e.Makespan.TotalSeconds) : null,
                ["windowSeconds"] = result.Estimate?.Window?.TotalSeconds,
                ["slots"] = result.Estimate?.Slots,
            }),
    };

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> PinBaseline(
        string name, BaselineRequest body, PlatformDbContext db, CancellationToken ct)
    {
        var suite = await db.Suites.SingleOrDefaultAsync(s => s.Name == name, ct);
        if (suite is null) return NotFound(name);
        var run = await db.SuiteRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == body.RunId && r.SuiteId == suite.Id, ct);
        if (run is null || !SuiteRunStatuses.Finished.Contains(run.Status))
            return Invalid(new Dictionary<string, string[]> { ["runId"] = ["must be a finished run of this suite"] });
        suite.BaselineRunId = run.Id;
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<SuiteRunDetails>, ProblemHttpResult>> GetRun(Guid id, PlatformDbContext db, CancellationToken ct) =>
        await SuiteQueries.GetRunAsync(db, id, ct) is { } d
            ? TypedResults.Ok(d)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Suite run not found", detail: $"no suite run with id {id}");

    private static ValidationProblem Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "The suite definition is invalid");

    private static ProblemHttpResult NotFound(string name) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Suite not found", detail: $"no suite named '{name}'");
}
