using System.Security.Claims;
using System.Text.Json;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Specs;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Web.Auth;
using AdapterLab.Web.Hosting;
using AdapterLab.Web.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Experiments;

/// <summary><c>/api/experiments</c>: submit, inspect, list, cancel, retry and clone experiments.</summary>
public static class ExperimentsApi
{
    private const string Tag = "Experiments";

    public static IEndpointRouteBuilder MapExperimentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/experiments").WithTags(Tag)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        api.MapPost("/", Submit).WithName("SubmitExperiment")
            .WithSummary("Submit an experiment spec")
            .WithDescription("Validates the spec; a valid spec is stored as Queued together with its outgoing message (one transaction) and relayed to the orchestrator at once.")
            .Accepts<ExperimentSpec>("application/json")
            .WithBodyLimit(Hosting.RequestLimits.SpecBytes)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Scopes.ExperimentsWrite);
        api.MapGet("/", List).WithName("ListExperiments")
            .WithSummary("List experiments (filtered; newest first by keyset cursor, or by priority)")
            .WithDescription("Newest first, follow nextCursor (pass it back as cursor) for the next page and previousCursor for the one before: every page, however deep, costs one index range read. page is kept for offset paging (and is the only paging of sort=priority). total is exact up to 1,000 matches; beyond that totalIsEstimate is true and total is PostgreSQL's estimate (1,001 when only the cap is known).")
            .RequireAuthorization(Scopes.Read);
        api.MapGet("/export.csv", ExportCsv).WithName("ExportExperimentsCsv")
            .WithSummary("The list as CSV: the same filters, q, columns and sort as the list; every matching experiment up to 100,000 rows")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .RequireAuthorization(Scopes.Read);
        api.MapPost("/{id:guid}/archive", Archive).WithName("ArchiveExperiment").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Archive an ended experiment: it leaves lists and leaderboards (not the database) until restored")
            .RequireAuthorization(Scopes.ExperimentsWrite);
        api.MapPost("/{id:guid}/restore", Restore).WithName("RestoreExperiment").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Bring an archived experiment back to lists and leaderboards")
            .RequireAuthorization(Scopes.ExperimentsWrite);
        api.MapGet("/{id:guid}", Get).WithName("GetExperiment").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("An experiment with its attempts, final results, artifacts and spec")
            .RequireAuthorization(Scopes.Read);
        api.MapMethods("/{id:guid}", ["PATCH"], EditNotebook).WithName("EditExperiment")
            .WithSummary("Edit the lab notebook: name, tags and markdown notes (the owner or an admin; every change audited)")
            .WithDescription("Body: {\"name\": …, \"tags\": […], \"notes\": …}; a field left out is unchanged, an empty name or notes clears it. Returns the experiment.")
            .Accepts<ExperimentNotebook.Edit>("application/json")
            .WithBodyLimit(Hosting.RequestLimits.SpecBytes)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesValidationProblem().ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .RequireAuthorization(Scopes.ExperimentsWrite);
        api.MapGet("/{id:guid}/edits", Edits).WithName("GetExperimentEdits").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("The audit of the experiment's name, tag and notes edits, oldest first")
            .RequireAuthorization(Scopes.Read);
        api.MapGet("/{id:guid}/attempts/{attempt:int}/logs", Logs).WithName("GetAttemptLogs").ProducesProblem(StatusCodes.Status404NotFound).ProducesValidationProblem()
            .WithSummary("An attempt's log lines as its agent shipped them, in order: after a sequence number, containing q (case-insensitive), of some levels; at most limit (default 500, ≤ 1,000) per answer")
            .RequireAuthorization(Scopes.Read);
        api.MapGet("/{id:guid}/metrics", Metrics).WithName("GetExperimentMetrics").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Metric points, ordered by step; at most limit (default 10,000) per answer, the next page at the X-Next-Cursor header (and Link rel=next)")
            .RequireAuthorization(Scopes.Read);
        api.MapGet("/{id:guid}/transitions", Transitions).WithName("GetExperimentTransitions").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("The experiment's audit log of lifecycle transitions")
            .RequireAuthorization(Scopes.Read);
        api.MapPost("/{id:guid}/cancel", Cancel).WithName("CancelExperiment").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Ask the orchestrator to cancel a non-terminal experiment")
            .RequireAuthorization(Scopes.ExperimentsWrite);
        api.MapPost("/{id:guid}/retry", Retry).WithName("RetryExperiment").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Ask the orchestrator for a new attempt of a Failed or Cancelled experiment")
            .RequireAuthorization(Scopes.ExperimentsWrite);
        api.MapPost("/{id:guid}/clone", Clone).WithName("CloneExperiment").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Submit a new experiment with the same spec")
            .RequireAuthorization(Scopes.ExperimentsWrite);
        return app;
    }

    private static async Task<Results<Created<SubmittedExperiment>, ValidationProblem, ProblemHttpResult>> Submit(
        HttpRequest request, string? project, ClaimsPrincipal user, ExperimentSubmission submission, Projects.ProjectDirectory projects, CancellationToken ct)
    {
        var target = await projects.TargetAsync(user, project, ct);
        if (!target.Ok) return Projects.ProjectProblems.Refused(target);
        // Read the raw body: SpecJson rejects unknown fields and reports the JSON path, which model binding would not.
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(ct);
        return Answer(await submission.SubmitJsonAsync(body, Auth.Actor.Of(user), target.Project!, ct));
    }

    private static async Task<Results<Created<SubmittedExperiment>, ValidationProblem, ProblemHttpResult>> Clone(
        Guid id, ClaimsPrincipal user, PlatformDbContext db, ExperimentSubmission submission, Projects.ProjectDirectory projects, CancellationToken ct)
    {
        var source = await db.Experiments.Where(e => e.Id == id).Select(e => new { e.SpecJson, e.ProjectId }).SingleOrDefaultAsync(ct);
        if (source is null) return NotFound(id);
        // The clone goes to the same project, which the caller must be allowed to submit to.
        if (await projects.FindAsync(user, source.ProjectId, ct) is not { } project) return NotFound(id);
        if (!Projects.ProjectAccess.Of(user).CanSubmit(project.Id))
            return Projects.ProjectProblems.Refused(new Projects.ProjectSelection(Projects.ProjectScope.Of([]), null,
                $"your role in project '{project.Name}' is {project.Role}; submitting needs researcher or admin", StatusCodes.Status403Forbidden));
        // Checked again like any submission: the spec was valid when stored, but the platform's rules may have changed since.
        return Answer(await submission.SubmitAsync(SpecJson.Deserialize(source.SpecJson), Auth.Actor.Of(user), project, ct));
    }


    private static Results<Created<SubmittedExperiment>, ValidationProblem, ProblemHttpResult> Answer(ExperimentSubmission.Result result)
    {
        if (result.Errors is { Count: > 0 } errors) return Invalid(errors);
        if (result.Experiment is not { } e)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Backbone name already registered",
                detail: $"backbone.registerAs: a backbone named '{result.BackboneConflict}' already exists",
                extensions: new Dictionary<string, object?> { ["field"] = "backbone.registerAs" });
        return TypedResults.Created($"/api/experiments/{e.Id}", new SubmittedExperiment(e.Id, e.Status.ToString()));
    }

    private static async Task<Results<Ok<ExperimentListPage>, ValidationProblem, ProblemHttpResult>> List(
        [AsParameters] ExperimentListQuery q, Dashboard.ExperimentSearch search, ClaimsPrincipal user, Projects.ProjectDirectory projects, CancellationToken ct)
    {
        var selection = await projects.SelectAsync(user, q.Project, ct);
        if (!selection.Ok) return Projects.ProjectProblems.Refused(selection);
        var (filter, request, errors) = ParseList(q, selection.Scope);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var result = await search.SearchAsync(filter, request, ct);
        return TypedResults.Ok(new ExperimentListPage(request.Cursor is null ? request.PageIndex + 1 : null, request.PageSize, result.Total,
            result.TotalIsEstimate, result.Items, result.NextCursor?.Encode(), result.PreviousCursor?.Encode()));
    }

    private static async Task<IResult> ExportCsv([AsParameters] ExperimentListQuery q, Dashboard.ExperimentSearch search, HttpContext http,
        Projects.ProjectDirectory projects, CancellationToken ct)
    {
        var selection = await projects.SelectAsync(http.User, q.Project, ct);
        if (!selection.Ok) return Projects.ProjectProblems.Refused(selection);
        var (filter, request, errors) = ParseList(q with { Page = null, PageSize = null, Cursor = null }, selection.Scope);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = "attachment; filename=\"experiments.csv\"";
        await Runs.RunsCsv.WriteAsync(http.Response.Body, search, filter, request, ct);
        return TypedResults.Empty;
    }

    private static async Task<Results<Ok, ProblemHttpResult>> Archive(Guid id, ClaimsPrincipal user, ExperimentArchive archive, CancellationToken ct) =>
        Done((await archive.ArchiveAsync([id], user, ct))[0]);

    private static async Task<Results<Ok, ProblemHttpResult>> Restore(Guid id, ClaimsPrincipal user, ExperimentArchive archive, CancellationToken ct) =>
        Done((await archive.RestoreAsync([id], user, ct))[0]);

    private static Results<Ok, ProblemHttpResult> Done(ExperimentControl.Result r) => Answer(r).Result switch
    {
        Accepted => TypedResults.Ok(),
        ProblemHttpResult problem => problem,
        _ => throw new InvalidOperationException("unexpected outcome"),
    };

    /// <summary>
    /// The list's query parameters as a search (shared by the list and its CSV export); every refusal is named by its
    /// parameter — the expression filter's with the position it stopped at.
    /// </summary>
    public static (Dashboard.ExperimentFilter Filter, Dashboard.ExperimentPageRequest Request, Dictionary<string, string[]> Errors) ParseList(
        ExperimentListQuery q, Projects.ProjectScope projects)
    {
        int page = q.Page ?? 1, size = q.PageSize ?? ExperimentListQuery.DefaultPageSize;
        var errors = new Dictionary<string, string[]>();
        if (page is < 1 or > ExperimentListQuery.MaxPage) errors["page"] = [$"must be between 1 and {ExperimentListQuery.MaxPage:N0}; page further with cursor (nextCursor)"];
        if (size is < 1 or > ExperimentListQuery.MaxPageSize) errors["pageSize"] = [$"must be between 1 and {ExperimentListQuery.MaxPageSize}"];
        if (!Dashboard.ExperimentSearch.CanSort(q.Sort))
            errors["sort"] = ["must be submittedAt, priority, status, name, kind, method, updatedAt, an exact metric (split.task.domain.metric), a spec path or a numeric field (params, seed, steps, …)"];
        if (q.Dir is not (null or "asc" or "desc")) errors["dir"] = ["must be 'asc' or 'desc'"];
        var archived = q.Archived switch
        {
            null or "exclude" => Dashboard.ArchivedRuns.Exclude,
            "include" => Dashboard.ArchivedRuns.Include,
            "only" => Dashboard.ArchivedRuns.Only,
            _ => (Dashboard.ArchivedRuns?)null,
        };
        if (archived is null) errors["archived"] = ["must be 'exclude', 'include' or 'only'"];
        Runs.RunCondition? condition = null;
        IReadOnlyList<Runs.RunField> columns = [];
        try
        {
            condition = Runs.RunQueryParser.Parse(q.Q);
            if (condition is not null) Runs.RunQuerySql.Translate(condition); // value types checked here, not at query time
        }
        catch (Runs.RunQueryException ex) { errors["q"] = [ex.Position > 0 ? $"{ex.Message} (at character {ex.Position + 1})" : ex.Message]; }
        try { columns = Runs.RunColumns.Parse(q.Columns); }
        catch (Runs.RunQueryException ex) { errors["columns"] = [ex.Message]; }
        if (q.Name is { Length: > Runs.RunQueryParser.MaxValueLength }) errors["name"] = [$"at most {Runs.RunQueryParser.MaxValueLength} characters"];
        Dashboard.ExperimentCursor? cursor = null;
        if (q.Cursor is not null)
        {
            if (!Dashboard.ExperimentCursor.TryDecode(q.Cursor, out cursor)) errors["cursor"] = ["is not a cursor this API returned (nextCursor or previousCursor)"];
            else if (q.Sort is not (null or "submittedAt")) errors["cursor"] = ["applies to the submittedAt order only; page through other sorts with page"];
            else if (!cursor!.Descending) errors["cursor"] = ["belongs to another order"];
            if (q.Page is not null) errors["page"] = ["give either page or cursor"];
        }
        var filter = new Dashboard.ExperimentFilter
        {
            Projects = projects,
            Status = q.Status, Kind = q.Kind, Method = q.Method, Tag = q.Tag, Suite = q.Suite, Task = q.Task, Domain = q.Domain,
            SubmittedFrom = q.SubmittedFrom, SubmittedTo = q.SubmittedTo, Name = q.Name, Query = condition,
            Archived = archived ?? Dashboard.ArchivedRuns.Exclude,
        };
        // sort=priority is the dispatch order (highest first, then oldest): the search's "priority, descending".
        bool descending = q.Sort is null or "submittedAt" or "priority" || q.Dir != "asc";
        return (filter, new Dashboard.ExperimentPageRequest(q.Sort, descending, page - 1, size, cursor, columns), errors);
    }

    // One read of an experiment serves the API and the dashboard's detail page.
    private static async Task<Results<Ok<ExperimentDetails>, ProblemHttpResult>> Get(Guid id, Dashboard.ExperimentQueries queries, CancellationToken ct) =>
        await queries.DetailsAsync(id, ct) is { } details ? TypedResults.Ok(details) : NotFound(id);

    /// <summary>Metric points per page: the default and the most one request may ask for (<c>limit</c>).</summary>
    public const int MetricsPageSize = 10_000, MaxMetricsPageSize = 50_000;

    private static async Task<Results<Ok<List<MetricPointView>>, ValidationProblem, ProblemHttpResult>> Metrics(
        Guid id, string? name, string? split, int? limit, string? cursor, HttpResponse response, PlatformDbContext db, CancellationToken ct)
    {
        int size = limit ?? MetricsPageSize;
        if (size is < 1 or > MaxMetricsPageSize) return Invalid(new Dictionary<string, string[]> { ["limit"] = [$"must be between 1 and {MaxMetricsPageSize:N0}"] });
        MetricCursor? after = null;
        if (cursor is not null && !MetricCursor.TryDecode(cursor, out after))
            return Invalid(new Dictionary<string, string[]> { ["cursor"] = ["is not a cursor this API returned (header X-Next-Cursor)"] });
        var query = db.MetricPoints.AsNoTracking().Where(m => m.ExperimentId == id);
        if (name is not null) query = query.Where(m => m.Name == name);
        if (split is not null) query = query.Where(m => m.Split == split);
        if (after is { } a)
            query = query.Where(m => m.Step > a.Step
                || (m.Step == a.Step && (string.Compare(m.Name, a.Name) > 0
                || (m.Name == a.Name && (string.Compare(m.Split, a.Split) > 0
                || (m.Split == a.Split && (string.Compare(m.Task, a.Task) > 0
                || (m.Task == a.Task && string.Compare(m.Domain, a.Domain) > 0))))))));
        var points = await query.OrderBy(m => m.Step).ThenBy(m => m.Name).ThenBy(m => m.Split).ThenBy(m => m.Task).ThenBy(m => m.Domain)
            .Take(size + 1)
            .Select(m => new MetricPointView(m.Name, m.Split, m.Task, m.Domain, m.Step, m.AttemptNumber, m.Value))
            .ToListAsync(ct);
        // Only an empty answer needs the second look: no points yet, or no such experiment.
        if (points.Count == 0 && !await db.Experiments.AnyAsync(e => e.Id == id, ct)) return NotFound(id);
        if (points.Count > size)
        {
            points.RemoveAt(size);
            var last = points[^1];
            var next = new MetricCursor(last.Step, last.Name, last.Split, last.Task, last.Domain).Encode();
            response.Headers["X-Next-Cursor"] = next;
            response.Headers.Link = $"</api/experiments/{id}/metrics?{(name is null ? "" : $"name={Uri.EscapeDataString(name)}&")}{(split is null ? "" : $"split={Uri.EscapeDataString(split)}&")}limit={size}&cursor={next}>; rel=\"next\"";
        }
        return TypedResults.Ok(points);
    }

    /// <summary>Where a metrics page ended, in the points' order (step, name, split, task, domain); URL-safe base64 of JSON.</summary>
    private sealed record MetricCursor(long Step, string Name, string Split, string Task, string Domain)
    {
        public string Encode() => Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(this)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        public static bool TryDecode(string text, out MetricCursor? cursor)
        {
            cursor = null;
            try
            {
                if (text.Length > 1_000) return false;
                var b64 = text.Replace('-', '+').Replace('_', '/');
                b64 = b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=');
                cursor = JsonSerializer.Deserialize<MetricCursor>(Convert.FromBase64String(b64));
                return cursor is { Name: not null, Split: not null, Task: not null, Domain: not null };
            }
            catch (Exception ex) when (ex is FormatException or JsonException)
            {
                return false;
            }
        }
    }

    private static async Task<IResult> EditNotebook(Guid id, HttpRequest request, ClaimsPrincipal user, ExperimentNotebook notebook,
        Dashboard.ExperimentQueries queries, CancellationToken ct)
    {
        var (edit, problem) = await Hosting.JsonBody.ReadAsync<ExperimentNotebook.Edit>(request, "name, tags and/or notes", ct);
        if (problem is not null) return problem;
        var r = await notebook.EditAsync(id, edit!, user, ct);
        return r.Outcome switch
        {
            ExperimentNotebook.Outcome.NotFound => NotFound(id),
            ExperimentNotebook.Outcome.Forbidden => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not your experiment", detail: r.Detail),
            ExperimentNotebook.Outcome.Invalid => TypedResults.ValidationProblem(r.Errors!, title: "The edit is invalid"),
            _ => TypedResults.Ok(await queries.DetailsAsync(id, ct)),
        };
    }

    private static readonly string[] LogLevels = ["Trace", "Debug", "Information", "Warning", "Error", "Critical"];

    private static async Task<Results<Ok<Dashboard.AttemptLogPage>, ValidationProblem, ProblemHttpResult>> Logs(
        Guid id, int attempt, PlatformDbContext db, CancellationToken ct, int? after = null, string? q = null, string? level = null, int? limit = null)
    {
        var errors = new Dictionary<string, string[]>();
        if (after is < -1) errors["after"] = ["must be -1 (from the start) or a line's sequence number"];
        if (q is { Length: > 200 }) errors["q"] = ["at most 200 characters"];
        if (limit is < 1 or > Data.Logs.AttemptLogStore.MaxPage) errors["limit"] = [$"must be between 1 and {Data.Logs.AttemptLogStore.MaxPage}"];
        var levels = (level ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = levels.Where(l => !LogLevels.Contains(l, StringComparer.OrdinalIgnoreCase)).ToList();
        if (unknown.Count > 0) errors["level"] = [$"unknown level '{unknown[0]}'; expected some of {string.Join(", ", LogLevels)}"];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        if (!await db.Attempts.AnyAsync(a => a.ExperimentId == id && a.Number == attempt, ct))
            return await db.Experiments.AnyAsync(e => e.Id == id, ct)
                ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Attempt not found", detail: $"experiment {id} has no attempt {attempt}")
                : NotFound(id);
        var canonical = levels.Select(l => LogLevels.First(x => x.Equals(l, StringComparison.OrdinalIgnoreCase))).ToList();
        var page = await Dashboard.AttemptLogs.ReadAsync(db, id, attempt, after ?? -1, q, canonical, limit ?? 500, ct);
        return TypedResults.Ok(page);
    }

    private static async Task<Results<Ok<List<ExperimentEditView>>, ProblemHttpResult>> Edits(Guid id, ExperimentNotebook notebook, CancellationToken ct) =>
        await notebook.HistoryAsync(id, ct) is { } rows ? TypedResults.Ok(rows) : NotFound(id);

    private static async Task<Results<Ok<List<TransitionView>>, ProblemHttpResult>> Transitions(Guid id, PlatformDbContext db, CancellationToken ct)
    {
        if (!await db.Experiments.AnyAsync(e => e.Id == id, ct)) return NotFound(id);
        var rows = await db.StateTransitions.AsNoTracking().Where(t => t.ExperimentId == id)
            .OrderBy(t => t.At).ThenBy(t => t.Id)
            .Select(t => new TransitionView(t.AttemptNumber, t.From, t.To, t.Actor, t.Reason, t.At))
            .ToListAsync(ct);
        return TypedResults.Ok(rows);
    }

    private static async Task<Results<Accepted, ProblemHttpResult>> Cancel(
        Guid id, ClaimsPrincipal user, ExperimentControl control, CancellationToken ct) =>
        Answer(await control.CancelAsync(id, user, ct));

    private static async Task<Results<Accepted, ProblemHttpResult>> Retry(
        Guid id, ClaimsPrincipal user, ExperimentControl control, CancellationToken ct) =>
        Answer(await control.RetryAsync(id, user, ct));

    /// <summary>Maps a cancel or retry outcome (access and status checked by <see cref="ExperimentControl"/>) to HTTP.</summary>
    private static Results<Accepted, ProblemHttpResult> Answer(ExperimentControl.Result r) => r.Outcome switch
    {
        ExperimentControl.Outcome.Accepted => TypedResults.Accepted($"/api/experiments/{r.Id}"),
        ExperimentControl.Outcome.NotFound => NotFound(r.Id),
        ExperimentControl.Outcome.Forbidden => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden,
            title: "Not your experiment", detail: r.Detail),
        _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not allowed in the current status",
            detail: r.Detail, extensions: new Dictionary<string, object?> { ["status"] = r.Status?.ToString() }),
    };

    private static ValidationProblem Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "The experiment spec is invalid");

    private static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Experiment not found", detail: $"no experiment with id {id}");

}
