using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;

namespace AdapterLab.Web.Auth;

/// <summary>Grants a <see cref="ScopeRequirement"/> from scope claims (API keys) or role claims (cookie users).</summary>
public sealed class ScopeAuthorizationHandler : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (Scopes.Satisfies(GrantedScopes(context.User), requirement.Scope)) context.Succeed(requirement);
        return Task.CompletedTask;
    }

    /// <summary>Every scope the principal holds, from its own scope claims and from its roles.</summary>
    public static IEnumerable<string> GrantedScopes(ClaimsPrincipal user)
    {
        foreach (var c in user.FindAll(Scopes.ClaimType)) yield return c.Value;
        foreach (var role in user.FindAll(ClaimTypes.Role))
            if (Scopes.RoleScopes.TryGetValue(role.Value, out var scopes))
                foreach (var s in scopes) yield return s;
    }
}
