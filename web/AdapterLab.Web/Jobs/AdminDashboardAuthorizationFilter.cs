using AdapterLab.Web.Auth;
using Hangfire.Dashboard;

namespace AdapterLab.Web.Jobs;

/// <summary>The Hangfire dashboard is for signed-in admins only (Hangfire's default would allow any local request).</summary>
public sealed class AdminDashboardAuthorizationFilter : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context)
    {
        var user = context.GetHttpContext().User;
        return user.Identity?.IsAuthenticated == true && Scopes.Satisfies(ScopeAuthorizationHandler.GrantedScopes(user), Scopes.Admin);
    }
}
