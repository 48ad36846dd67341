namespace AdapterLab.Web.Auth;

/// <summary>
/// API scopes, the authorization policies named after them, and the dashboard roles that grant them — in one place.
/// <c>admin</c> implies every scope.
/// </summary>
public static class Scopes
{
    /// <summary>Claim type carrying one scope.</summary>
    public const string ClaimType = "scope";

    public const string Read = "read";
    public const string ExperimentsWrite = "experiments:write";
    public const string SuitesTrigger = "suites:trigger";
    public const string Admin = "admin";

    /// <summary>
    /// The inference service's scope: it reads registered model versions and the blobs they bind (and nothing else — no
    /// experiment, no other blob). Granted to no dashboard role; an admin issues a key with it for the inference host.
    /// </summary>
    public const string ModelsServe = "models:serve";

    /// <summary>Policy for agent endpoints (agent token scheme, not API keys).</summary>
    public const string AgentPolicy = "agent";

    public static readonly IReadOnlyList<string> All = [Read, ExperimentsWrite, SuitesTrigger, ModelsServe, Admin];

    /// <summary>Dashboard roles (ASP.NET Core Identity) and the scopes each grants.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> RoleScopes = new Dictionary<string, IReadOnlyList<string>>
    {
        [Roles.Viewer] = [Read],
        // Researchers may also fire suites: a suite run only submits experiments they could submit themselves.
        [Roles.Researcher] = [Read, ExperimentsWrite, SuitesTrigger],
        [Roles.Admin] = All,
    };

    /// <summary>True when a holder of <paramref name="granted"/> may use <paramref name="required"/>.</summary>
    public static bool Satisfies(IEnumerable<string> granted, string required) =>
        granted.Any(g => g == required || g == Admin);
}
