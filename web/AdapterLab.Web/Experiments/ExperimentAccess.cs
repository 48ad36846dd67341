using System.Security.Claims;
using AdapterLab.Web.Auth;

namespace AdapterLab.Web.Experiments;

/// <summary>
/// Who may change which experiment: viewers only read; researchers (and API keys with <c>experiments:write</c>) submit and
/// cancel or retry their own experiments; admins manage every experiment. The API and the dashboard's handlers both ask here.
/// </summary>
public static class ExperimentAccess
{
    public static bool CanSubmit(ClaimsPrincipal user) => Holds(user, Scopes.ExperimentsWrite);

    public static bool IsAdmin(ClaimsPrincipal user) => Holds(user, Scopes.Admin);

    /// <summary>True when <paramref name="user"/> may change something owned by <paramref name="ownerId"/> (an
    /// experiment, a suite): admins always; a submitter only their own, compared by id (<see cref="Actor"/>).</summary>
    public static bool CanManage(ClaimsPrincipal user, string? ownerId) =>
        IsAdmin(user) || (CanSubmit(user) && ownerId is not null && ownerId == Actor.OwnerIdOf(user));

    private static bool Holds(ClaimsPrincipal user, string scope) =>
        user.Identity?.IsAuthenticated == true && Scopes.Satisfies(ScopeAuthorizationHandler.GrantedScopes(user), scope);
}
