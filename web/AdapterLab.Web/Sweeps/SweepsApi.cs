using System.Security.Claims;
using AdapterLab.Contracts.Sweeps;
using AdapterLab.Data;
using AdapterLab.Web.Auth;
using AdapterLab.Web.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AdapterLab.Web.Sweeps;

/// <summary>
/// <c>/api/sweeps</c>: create (experiments:write), watch and stop hyper-parameter sweeps. The orchestrator runs them:
/// trials are experiments (tagged <c>sweep:&lt;name&gt;</c>) paused at rungs, promoted from their rung checkpoints or
/// stopped, decided from the results in PostgreSQL.
/// </summary>
public static class SweepsApi
{
    private const string Tag = "Sweeps";
    public const long SweepBytes = 256 * 1024;

    public static IEndpointRouteBuilder MapSweepsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/sweeps").WithTags(Tag)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("/", List).WithName("ListSweeps").WithSummary("Sweeps, newest first, with their best objective so far").RequireAuthorization(Scopes.Read);
        api.MapGet("/{id:guid}", Get).WithName("GetSweep").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("A sweep: definition, rung ladder, every trial with its values and rung results, best-so-far against steps trained")
            .RequireAuthorization(Scopes.Read);
        api.MapGet("/{id:guid}/curves", Curves).WithName("GetSweepCurves").ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Every trial's curve of one metric over its steps (default: the training loss), continued across the rungs it climbed")
            .WithDescription($"?metric=loss&split=train (defaults). At most about {SweepViews.CurvePoints} points per trial (every k-th step, the rung steps always kept).")
            .RequireAuthorization(Scopes.Read);
        api.MapPost("/", Create).WithName("CreateSweep")
            .WithSummary("Create a sweep (grid, random, asha or hyperband) over a spec template")
            .WithDescription("The definition is planned and its first trials' specs validated by the submission checks; an invalid definition is a 400 naming each field (template fields as template.<path>). 201 with the sweep; the orchestrator starts its trials.")
            .Accepts<SweepDefinition>("application/json")
            .WithBodyLimit(SweepBytes)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .RequireAuthorization(Scopes.ExperimentsWrite);
        api.MapPost("/{id:guid}/stop", Stop).WithName("StopSweep")
            .WithSummary("Stop a sweep: nothing more starts or is promoted; running trials are cancelled, paused ones stopped")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Scopes.ExperimentsWrite);
        return app;
    }

    private static async Task<Results<Ok<List<SweepSummary>>, ProblemHttpResult>> List(string? project, ClaimsPrincipal user, Projects.ProjectDirectory projects,
        PlatformDbContext db, CancellationToken ct)
    {
        var selection = await projects.SelectAsync(user, project, ct);
        if (!selection.Ok) return Projects.ProjectProblems.Refused(selection);
        return TypedResults.Ok(await SweepViews.ListAsync(db, selection.Scope, ct));
    }

    private static async Task<Results<Ok<SweepDetails>, ProblemHttpResult>> Get(Guid id, PlatformDbContext db, CancellationToken ct) =>
        await SweepViews.GetAsync(db, id, ct) is { } d ? TypedResults.Ok(d) : NotFound(id);

    private static async Task<Results<Ok<SweepCurves>, ValidationProblem, ProblemHttpResult>> Curves(Guid id, string? metric, string? split, PlatformDbContext db, CancellationToken ct)
    {
        metric ??= "loss";
        split ??= "train";
        var errors = new Dictionary<string, string[]>();
        if (!CurveName(metric)) errors["metric"] = ["a metric name: 1–64 letters, digits, '-', '_', ':' or '.'"];
        if (!CurveName(split)) errors["split"] = ["a split name: 1–64 letters, digits, '-', '_', ':' or '.'"];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Invalid curve query");
        return await SweepViews.CurvesAsync(db, id, metric, split, ct) is { } c ? TypedResults.Ok(c) : NotFound(id);
    }

    private static bool CurveName(string s) => s.Length is > 0 and <= 64 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or ':' or '.');

    private static async Task<Results<Created<SweepDetails>, ValidationProblem, ProblemHttpResult>> Create(
        HttpRequest request, string? project, ClaimsPrincipal user, SweepCatalogue catalogue, PlatformDbContext db, Projects.ProjectDirectory projects, CancellationToken ct)
    {
        var target = await projects.TargetAsync(user, project, ct);
        if (!target.Ok) return Projects.ProjectProblems.Refused(target);
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(ct);
        var created = await catalogue.CreateAsync(body, Actor.Of(user), target.Project!, ct);
        if (created.Sweep is not { } sweep) return TypedResults.ValidationProblem(created.Errors!, title: "The sweep definition is invalid");
        return TypedResults.Created($"/api/sweeps/{sweep.Id}", (await SweepViews.GetAsync(db, sweep.Id, ct))!);
    }

    private static async Task<Results<Accepted, ProblemHttpResult>> Stop(Guid id, ClaimsPrincipal user, SweepCatalogue catalogue, CancellationToken ct) =>
        await catalogue.StopAsync(id, user, ct) switch
        {
            SweepCatalogue.StopOutcome.Stopped => TypedResults.Accepted($"/api/sweeps/{id}"),
            SweepCatalogue.StopOutcome.NotFound => NotFound(id),
            SweepCatalogue.StopOutcome.NotYours => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not your sweep",
                detail: "only its owner or its project's admins may stop it"),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The sweep is over", detail: $"sweep {id} has already ended"),
        };

    private static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Sweep not found", detail: $"no sweep with id {id}");
}
