using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;

namespace AdapterLab.Web.Auth;

/// <summary>
/// Grants a <see cref="ScopeRequirement"/> from scope claims (API keys), the platform role (cookie users) and project roles:
/// an endpoint's policy asks whether the principal may do this kind of thing anywhere; the project's own check
/// (<see cref="Projects.ProjectAccess"/>) then decides for the project at hand.
/// </summary>
public sealed class ScopeAuthorizationHandler : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (Scopes.Satisfies(GrantedScopes(context.User), requirement.Scope)) context.Succeed(requirement);
        return Task.CompletedTask;
    }

    /// <summary>Every scope the principal holds, from its own scope claims, its platform role and its project roles.</summary>
    public static IEnumerable<string> GrantedScopes(ClaimsPrincipal user)
    {
        foreach (var c in user.FindAll(Scopes.ClaimType)) yield return c.Value;
        foreach (var role in user.FindAll(ClaimTypes.Role))
            if (Scopes.RoleScopes.TryGetValue(role.Value, out var scopes))
                foreach (var s in scopes) yield return s;
        foreach (var c in user.FindAll(Projects.ProjectAccess.ClaimType))
            if (Projects.ProjectAccess.TryParse(c.Value, out _, out var role))
                foreach (var s in Projects.ProjectAccess.ScopesOf(role)) yield return s;
    }
}
