using System.Security.Claims;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Web.Auth;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Projects;

/// <summary>A project as a principal sees it: their role in it.</summary>
public sealed record ProjectSummary(Guid Id, string Name, string? Description, string Role, int? PriorityCeiling);

/// <summary>
/// What a read covers (<see cref="Scope"/>), the single project when it is one (<see cref="Project"/>), or why the request
/// was refused (<see cref="Error"/>, for the field <c>project</c>, with its HTTP status).
/// </summary>
public sealed record ProjectSelection(ProjectScope Scope, ProjectSummary? Project, string? Error = null, int Status = 200)
{
    public bool Ok => Error is null;
}

/// <summary>
/// Resolves the project a request means. Reads: <c>?project=name</c> (a project the principal may read), <c>*</c> for
/// the cross-project view (every project they may read), or by default the principal's current project — a key's own
/// project, a user's switcher choice, else the default project when they are in it, else their first. Writes need one
/// project the principal may submit to. An unknown project and one the principal may not read get the same answer, so
/// names do not leak.
/// </summary>
public sealed class ProjectDirectory(IDbContextFactory<PlatformDbContext> dbFactory)
{
    public const string AllProjects = "*";

    /// <summary>Every project the principal may read, by name, with their role.</summary>
    public async Task<IReadOnlyList<ProjectSummary>> VisibleAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        var access = ProjectAccess.Of(user);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var readable = access.Readable?.ToArray();
        var projects = await db.Projects.AsNoTracking()
            .Where(p => readable == null || readable.Contains(p.Id))
            .OrderBy(p => p.Name).ToListAsync(ct);
        return projects.Select(p => Summary(p, access)).ToList();
    }

    /// <summary>The projects a read covers.</summary>
    public async Task<ProjectSelection> SelectAsync(ClaimsPrincipal user, string? requested, CancellationToken ct)
    {
        var access = ProjectAccess.Of(user);
        requested = requested?.Trim();
        if (requested is AllProjects or "all")
            return new ProjectSelection(access.Everything ? ProjectScope.All : ProjectScope.Of(access.Roles.Keys), null);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!string.IsNullOrEmpty(requested))
        {
            if (!ProjectNames.IsValid(requested))
                return Refused($"no project '{ProjectProblems.Shown(requested)}' you can read", StatusCodes.Status404NotFound);
            var named = await db.Projects.AsNoTracking().SingleOrDefaultAsync(p => p.Name == requested, ct);
            if (named is null || !access.CanRead(named.Id))
                return Refused($"no project '{ProjectProblems.Shown(requested)}' you can read", StatusCodes.Status404NotFound);
            return new ProjectSelection(ProjectScope.Of(named.Id), Summary(named, access));
        }
        var current = await CurrentAsync(db, user, access, ct);
        return current is null
            ? new ProjectSelection(ProjectScope.Of([]), null) // a user in no project sees nothing
            : new ProjectSelection(ProjectScope.Of(current.Id), Summary(current, access));
    }

    /// <summary>The one project a submission goes to, which the principal must be allowed to submit to.</summary>
    public async Task<ProjectSelection> TargetAsync(ClaimsPrincipal user, string? requested, CancellationToken ct)
    {
        if (requested?.Trim() is AllProjects or "all") return Refused("name one project to submit to", StatusCodes.Status400BadRequest);
        var selection = await SelectAsync(user, requested, ct);
        if (!selection.Ok) return selection with { Status = StatusCodes.Status400BadRequest };
        if (selection.Project is not { } project) return Refused("you are a member of no project; an admin adds you to one", StatusCodes.Status403Forbidden);
        if (!ProjectAccess.Of(user).CanSubmit(project.Id))
            return Refused($"your role in project '{project.Name}' is {project.Role}; submitting needs researcher or admin", StatusCodes.Status403Forbidden);
        return selection;
    }

    /// <summary>The project with <paramref name="id"/> if the principal may read it.</summary>
    public async Task<ProjectSummary?> FindAsync(ClaimsPrincipal user, Guid id, CancellationToken ct)
    {
        var access = ProjectAccess.Of(user);
        if (!access.CanRead(id)) return null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var p = await db.Projects.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, ct);
        return p is null ? null : Summary(p, access);
    }

    /// <summary>Remembers a user's switcher choice (a project they may read).</summary>
    public async Task<bool> SetCurrentAsync(ClaimsPrincipal user, Guid project, CancellationToken ct)
    {
        var access = ProjectAccess.Of(user);
        if (!access.CanRead(project) || UserIdOf(user) is not { } userId) return false;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.CurrentProjectId, project), ct) == 1;
    }

    private static async Task<Project?> CurrentAsync(PlatformDbContext db, ClaimsPrincipal user, ProjectAccess access, CancellationToken ct)
    {
        Guid? preferred = null;
        if (user.FindFirstValue(ApiKeyAuthenticationHandler.KeyProjectClaim) is { } keyProject && Guid.TryParse(keyProject, out var kp)) preferred = kp;
        else if (UserIdOf(user) is { } userId)
            preferred = await db.Users.Where(u => u.Id == userId).Select(u => u.CurrentProjectId).SingleOrDefaultAsync(ct);
        if (preferred is { } p && access.CanRead(p) && await db.Projects.AsNoTracking().SingleOrDefaultAsync(x => x.Id == p, ct) is { } chosen)
            return chosen;
        if (access.CanRead(Project.DefaultId)) return await db.Projects.AsNoTracking().SingleOrDefaultAsync(x => x.Id == Project.DefaultId, ct);
        var readable = access.Roles.Keys.ToArray();
        return await db.Projects.AsNoTracking().Where(x => readable.Contains(x.Id)).OrderBy(x => x.Name).FirstOrDefaultAsync(ct);
    }

    /// <summary>A signed-in user's id (not an API key's: a key's principal carries the key id as its name identifier).</summary>
    private static string? UserIdOf(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && !user.HasClaim(c => c.Type == ApiKeyAuthenticationHandler.ApiKeyClaim)
            ? user.FindFirstValue(ClaimTypes.NameIdentifier) : null;

    private static ProjectSummary Summary(Project p, ProjectAccess access) =>
        new(p.Id, p.Name, p.Description, access.RoleIn(p.Id) ?? "", p.PriorityCeiling);

    private static ProjectSelection Refused(string error, int status) => new(ProjectScope.Of([]), null, error, status);

}
