using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.WebUtilities;

namespace AdapterLab.Web.Projects;

/// <summary>
/// The dashboard's project (one per circuit): the page URL's <c>?project=</c> when it has one (<c>*</c>: every project the
/// user may read), else the user's switcher choice (<see cref="ProjectDirectory"/>). Pages ask here for the scope of
/// every list they show and the project a form submits to.
/// </summary>
public sealed class CurrentProject(ProjectDirectory directory, AuthenticationStateProvider auth, NavigationManager navigation)
{
    public const string QueryName = "project";

    /// <summary>The project(s) the current page shows.</summary>
    public async Task<ProjectSelection> GetAsync(CancellationToken ct = default)
    {
        var user = (await auth.GetAuthenticationStateAsync()).User;
        var selection = await directory.SelectAsync(user, Requested(), ct);
        // A stale or foreign ?project= falls back to the user's own choice rather than an empty page.
        return selection.Ok ? selection : await directory.SelectAsync(user, null, ct);
    }

    /// <summary>One project for what is per project (leaderboards): the page's, or in the cross-project view the user's own choice.</summary>
    public async Task<ProjectSummary?> SingleAsync(CancellationToken ct = default)
    {
        var selection = await GetAsync(ct);
        if (selection.Project is not null) return selection.Project;
        var user = (await auth.GetAuthenticationStateAsync()).User;
        return (await directory.SelectAsync(user, null, ct)).Project;
    }

    /// <summary>The project a submission from the current page goes to (refused when it is not one the user may submit to).</summary>
    public async Task<ProjectSelection> TargetAsync(CancellationToken ct = default)
    {
        var user = (await auth.GetAuthenticationStateAsync()).User;
        var requested = Requested();
        return await directory.TargetAsync(user, requested is ProjectDirectory.AllProjects ? null : requested, ct);
    }

    public async Task<ProjectAccess> AccessAsync() => ProjectAccess.Of((await auth.GetAuthenticationStateAsync()).User);

    private string? Requested()
    {
        var uri = navigation.ToAbsoluteUri(navigation.Uri);
        return QueryHelpers.ParseQuery(uri.Query).TryGetValue(QueryName, out var v) ? v.ToString() : null;
    }
}
