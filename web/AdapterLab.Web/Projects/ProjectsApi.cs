using System.Security.Claims;
using AdapterLab.Web.Auth;

namespace AdapterLab.Web.Projects;

/// <summary>
/// <c>/api/projects</c>: the projects the caller may read (with their role), creating one (platform admin), a project's
/// details (members for its admins), members by email (its admins), quotas per pool and the priority ceiling (platform
/// admin), its audit (its admins); <c>/api/account/project</c> sets a user's current project (the switcher's choice);
/// <c>/api/backbones/{name}/shares</c> shares a backbone read-only with another project.
/// </summary>
public static class ProjectsApi
{
    public sealed record CreateProjectRequest(string? Name, string? Description);
    public sealed record MemberRequest(string? Role);
    public sealed record QuotaRequest(int? MaxSlots);
    public sealed record CeilingRequest(int? PriorityCeiling);
    public sealed record ShareRequest(string? Project);
    public sealed record CurrentProjectRequest(string? Project);

    public static IEndpointRouteBuilder MapProjectsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/projects").WithTags("Projects")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Scopes.Read);
        api.MapGet("/", async (ClaimsPrincipal user, ProjectDirectory projects, CancellationToken ct) => TypedResults.Ok(await projects.VisibleAsync(user, ct)))
            .WithName("ListProjects").WithSummary("The projects you may read, with your role in each");
        api.MapPost("/", async (CreateProjectRequest body, ClaimsPrincipal user, ProjectAdministration admin, CancellationToken ct) =>
            {
                var (project, change) = await admin.CreateAsync(user, body?.Name, body?.Description, ct);
                return project is null ? Refused(change) : TypedResults.Created($"/api/projects/{project.Name}", project);
            })
            .WithName("CreateProject").WithSummary("Create a project (platform admin)").ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/{project}", async (string project, ClaimsPrincipal user, ProjectDirectory projects, ProjectAdministration admin, CancellationToken ct) =>
                await Named(project, user, projects, ct) is { } p && await admin.DetailsAsync(user, p.Id, ct) is { } d ? Results.Ok(d) : NotFound(project))
            .WithName("GetProject").WithSummary("A project: your role, quotas, ceiling, shared backbones; its members if you are its admin").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/{project}/members/{email}", async (string project, string email, MemberRequest body, ClaimsPrincipal user, ProjectDirectory projects, ProjectAdministration admin, CancellationToken ct) =>
                await Named(project, user, projects, ct) is { } p ? Answer(await admin.SetMemberAsync(user, p.Id, email, body?.Role, ct)) : NotFound(project))
            .WithName("SetProjectMember").WithSummary("Add a user (by email) to the project with a role, or change their role (project admin; audited)")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/{project}/members/{email}", async (string project, string email, ClaimsPrincipal user, ProjectDirectory projects, ProjectAdministration admin, CancellationToken ct) =>
                await Named(project, user, projects, ct) is { } p ? Answer(await admin.RemoveMemberAsync(user, p.Id, email, ct)) : NotFound(project))
            .WithName("RemoveProjectMember").WithSummary("Remove a member (project admin; audited)").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/{project}/quotas/{pool}", async (string project, string pool, QuotaRequest body, ClaimsPrincipal user, ProjectDirectory projects, ProjectAdministration admin, CancellationToken ct) =>
                await Named(project, user, projects, ct) is { } p ? Answer(await admin.SetQuotaAsync(user, p.Id, pool, body?.MaxSlots, ct)) : NotFound(project))
            .WithName("SetProjectQuota").WithSummary("At most maxSlots of the project's attempts in the pool at once (null: no limit; platform admin; audited)")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/{project}/priority-ceiling", async (string project, CeilingRequest body, ClaimsPrincipal user, ProjectDirectory projects, ProjectAdministration admin, CancellationToken ct) =>
                await Named(project, user, projects, ct) is { } p ? Answer(await admin.SetPriorityCeilingAsync(user, p.Id, body?.PriorityCeiling, ct)) : NotFound(project))
            .WithName("SetProjectPriorityCeiling").WithSummary("The highest priority the project's experiments queue at (null: none; platform admin; audited)")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{project}/audit", async (string project, int? limit, ClaimsPrincipal user, ProjectDirectory projects, ProjectAdministration admin, CancellationToken ct) =>
                await Named(project, user, projects, ct) is not { } p ? NotFound(project)
                    : await admin.AuditAsync(user, p.Id, limit ?? 200, ct) is { } audit ? Results.Ok(audit)
                    : Results.Problem(statusCode: 403, title: "Forbidden", detail: "project: the audit is for the project's admins"))
            .WithName("GetProjectAudit").WithSummary("Membership, role, quota, ceiling and share changes with their actor, newest first (project admin)")
            .ProducesProblem(StatusCodes.Status404NotFound);

        app.MapPost("/api/backbones/{name}/shares", async (string name, ShareRequest body, ClaimsPrincipal user, ProjectAdministration admin, CancellationToken ct) =>
                Answer(await admin.ShareBackboneAsync(user, name, body?.Project, ct)))
            .WithTags("Backbones").WithName("ShareBackbone").WithSummary("Share a backbone read-only with another project (its project's admin; audited)")
            .RequireAuthorization(Scopes.Read).ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);

        app.MapPut("/api/account/project", async (CurrentProjectRequest body, ClaimsPrincipal user, ProjectDirectory projects, CancellationToken ct) =>
                await Named(body?.Project ?? "", user, projects, ct) is { } p && await projects.SetCurrentAsync(user, p.Id, ct)
                    ? Results.Ok(p) : NotFound(body?.Project ?? ""))
            .WithTags("Projects").WithName("SetCurrentProject").WithSummary("Choose the project the dashboard and default API reads show you")
            .RequireAuthorization(AuthSchemes.SignedInUserPolicy).ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<ProjectSummary?> Named(string name, ClaimsPrincipal user, ProjectDirectory projects, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Trim() is ProjectDirectory.AllProjects or "all") return null;
        var selection = await projects.SelectAsync(user, name, ct);
        return selection.Project;
    }

    private static IResult NotFound(string project) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Project not found",
            detail: $"project: no project '{ProjectProblems.Shown(project)}' you can read");

    private static IResult Answer(ProjectChange change) => change.Ok ? Results.NoContent() : Refused(change);

    private static IResult Refused(ProjectChange change) => change.Status == StatusCodes.Status400BadRequest
        ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { [change.Field!] = [change.Error!] })
        : Results.Problem(statusCode: change.Status, title: change.Status switch { 403 => "Forbidden", 404 => "Not found", 409 => "Conflict", _ => "Refused" },
            detail: $"{change.Field}: {change.Error}", extensions: new Dictionary<string, object?> { ["field"] = change.Field });
}
