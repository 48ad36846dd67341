using System.Security.Claims;
using AdapterLab.Web.Auth;

namespace AdapterLab.Web.Projects;

/// <summary>
/// What a principal may do in which project, from its claims: a platform admin (the <c>admin</c> scope: the admin role, or
/// a platform key) everything everywhere; anyone else what their role in each project allows — <c>viewer</c> reads,
/// <c>researcher</c> also submits and manages their own runs, <c>admin</c> also manages everyone's runs, the members and
/// the quotas. A user's roles come from <c>project_members</c> (claims refreshed with the security stamp); an API key
/// acts in its one project with the lesser of its scopes and its owner's role there. Checked on the receiving side of every
/// read and change.
/// </summary>
public sealed class ProjectAccess
{
    /// <summary>Claim carrying one project role: <c>&lt;project id&gt;:&lt;role&gt;</c>.</summary>
    public const string ClaimType = "project_role";

    private readonly Dictionary<Guid, string> _roles;

    private ProjectAccess(bool everything, Dictionary<Guid, string> roles)
    {
        Everything = everything;
        _roles = roles;
    }

    /// <summary>A platform admin: every project, every action.</summary>
    public bool Everything { get; }

    /// <summary>The principal's role per project (empty for a platform admin, who needs none).</summary>
    public IReadOnlyDictionary<Guid, string> Roles => _roles;

    public static ProjectAccess Of(ClaimsPrincipal user)
    {
        bool everything = user.Identity?.IsAuthenticated == true
                          && Scopes.Satisfies(ScopeAuthorizationHandler.GrantedScopes(user), Scopes.Admin);
        var roles = new Dictionary<Guid, string>();
        foreach (var c in user.FindAll(ClaimType))
            if (TryParse(c.Value, out var project, out var role)
                && (!roles.TryGetValue(project, out var held) || Rank(role) > Rank(held)))
                roles[project] = role;
        return new ProjectAccess(everything, roles);
    }

    public static string Claim(Guid project, string role) => $"{project:D}:{role}";

    public static bool TryParse(string value, out Guid project, out string role)
    {
        int colon = value.IndexOf(':');
        role = colon < 0 ? "" : value[(colon + 1)..];
        return Guid.TryParse(colon < 0 ? value : value[..colon], out project) && Rank(role) > 0;
    }

    /// <summary>0 for no role; viewer &lt; researcher &lt; admin.</summary>
    public static int Rank(string? role) => role switch
    {
        Auth.Roles.Viewer => 1,
        Auth.Roles.Researcher => 2,
        Auth.Roles.Admin => 3,
        _ => 0,
    };

    /// <summary>The lesser of two roles (null when either is none).</summary>
    public static string? Lesser(string? a, string? b) => Rank(a) == 0 || Rank(b) == 0 ? null : Rank(a) <= Rank(b) ? a : b;

    /// <summary>API scopes a project role grants in its project (a project admin's are a researcher's: never the platform's <c>admin</c>).</summary>
    public static IReadOnlyList<string> ScopesOf(string role) => Rank(role) switch
    {
        1 => [Scopes.Read],
        >= 2 => [Scopes.Read, Scopes.ExperimentsWrite, Scopes.SuitesTrigger],
        _ => [],
    };

    public string? RoleIn(Guid project) => Everything ? Auth.Roles.Admin : _roles.GetValueOrDefault(project);

    public bool CanRead(Guid project) => Rank(RoleIn(project)) >= 1;

    public bool CanSubmit(Guid project) => Rank(RoleIn(project)) >= 2;

    public bool CanAdminister(Guid project) => Rank(RoleIn(project)) >= 3;

    /// <summary>May change something of <paramref name="project"/> owned by <paramref name="ownerId"/>: its admins always, a researcher only their own (by id).</summary>
    public bool CanManage(Guid project, string? ownerId, string? callerOwnerId) =>
        CanAdminister(project) || (CanSubmit(project) && ownerId is not null && ownerId == callerOwnerId);

    /// <summary>The projects readable: null for a platform admin (all of them).</summary>
    public IReadOnlyCollection<Guid>? Readable => Everything ? null : _roles.Keys;

    /// <summary>True when the principal may see more than one project (the switcher's cross-project view).</summary>
    public bool SeesSeveral => Everything || _roles.Count > 1;
}
