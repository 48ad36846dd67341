using System.Security.Claims;
using AdapterLab.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AdapterLab.Web.Runs;

/// <summary><c>/api/runs</c>: the runs table's column catalogue and each user's saved views.</summary>
public static class RunsApi
{
    private const string Tag = "Runs table";

    public sealed record SaveViewRequest(string? Query);

    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/runs").WithTags(Tag)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("/columns", Columns)
            .WithName("ListRunColumns").WithSummary("Columns the runs table can show, sort and filter by: existing metrics, spec fields, built-ins")
            .RequireAuthorization(Scopes.Read);
        api.MapGet("/views", ListViews).WithName("ListRunViews").WithSummary("Your saved views of the runs table")
            .RequireAuthorization(Scopes.Read);
        api.MapPut("/views/{name}", SaveView).WithName("SaveRunView")
            .WithSummary("Save (or replace) a named view: the list's query string. The view named '(default)' holds your columns.")
            .RequireAuthorization(Scopes.Read);
        api.MapDelete("/views/{name}", DeleteView).WithName("DeleteRunView").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Delete one of your saved views")
            .RequireAuthorization(Scopes.Read);
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<RunColumnCatalogue.Column>>, ProblemHttpResult>> Columns(string? project, System.Security.Claims.ClaimsPrincipal user,
        Projects.ProjectDirectory projects, RunColumnCatalogue catalogue, CancellationToken ct)
    {
        var selection = await projects.SelectAsync(user, project, ct);
        if (!selection.Ok) return Projects.ProjectProblems.Refused(selection);
        return TypedResults.Ok(await catalogue.ListAsync(selection.Scope, ct));
    }

    private static string? Owner(ClaimsPrincipal user) => Actor.OwnerIdOf(user);

    private static async Task<Results<Ok<IReadOnlyList<RunViewStore.View>>, ProblemHttpResult>> ListViews(ClaimsPrincipal user, RunViewStore store, CancellationToken ct) =>
        Owner(user) is { } owner ? TypedResults.Ok(await store.ListAsync(owner, ct)) : NoOwner();

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> SaveView(
        string name, SaveViewRequest? body, ClaimsPrincipal user, RunViewStore store, CancellationToken ct)
    {
        if (Owner(user) is not { } owner) return NoOwner();
        var query = body?.Query?.TrimStart('?');
        if (RunViewStore.Check(name, query) is { } problem)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [problem.Field] = [problem.Message] });
        if (!await store.SaveAsync(owner, name.Trim(), query!, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Too many views", detail: $"at most {RunViewStore.MaxViews} saved views each");
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteView(string name, ClaimsPrincipal user, RunViewStore store, CancellationToken ct)
    {
        if (Owner(user) is not { } owner) return NoOwner();
        return await store.DeleteAsync(owner, name, ct) ? TypedResults.NoContent()
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "View not found", detail: $"you have no view named '{name}'");
    }

    private static ProblemHttpResult NoOwner() =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "No owner", detail: "saved views belong to a user or an API key");
}
