using System.Security.Claims;
using AdapterLab.Web.Auth;
using AdapterLab.Web.Projects;

namespace AdapterLab.Web.Experiments;

/// <summary>
/// Who may change which experiment, suite or sweep: within its project (<see cref="ProjectAccess"/>), viewers only read;
/// researchers (and project keys with <c>experiments:write</c>) submit and cancel, retry or edit their own; the project's
/// admins and platform admins manage everything in it. The API and the dashboard's handlers both ask here.
/// </summary>
public static class ExperimentAccess
{
    /// <summary>May submit somewhere (shows the dashboard's submit buttons; the project's own check decides).</summary>
    public static bool CanSubmit(ClaimsPrincipal user) => Holds(user, Scopes.ExperimentsWrite);

    /// <summary>May submit into <paramref name="project"/>.</summary>
    public static bool CanSubmit(ClaimsPrincipal user, Guid project) => CanSubmit(user) && ProjectAccess.Of(user).CanSubmit(project);

    /// <summary>A platform admin.</summary>
    public static bool IsAdmin(ClaimsPrincipal user) => Holds(user, Scopes.Admin);

    /// <summary>True when <paramref name="user"/> may change something of <paramref name="project"/> owned by
    /// <paramref name="ownerId"/> (an experiment, a suite, a sweep): its project's admins always; a submitter only their
    /// own, compared by id (<see cref="Actor"/>).</summary>
    public static bool CanManage(ClaimsPrincipal user, Guid project, string? ownerId) =>
        CanSubmit(user) && ProjectAccess.Of(user).CanManage(project, ownerId, Actor.OwnerIdOf(user));

    private static bool Holds(ClaimsPrincipal user, string scope) =>
        user.Identity?.IsAuthenticated == true && Scopes.Satisfies(ScopeAuthorizationHandler.GrantedScopes(user), scope);
}
