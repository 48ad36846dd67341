namespace AdapterLab.Web.Auth;

/// <summary>Dashboard roles, seeded at start; <see cref="Scopes.RoleScopes"/> maps them to API scopes.</summary>
public static class Roles
{
    public const string Viewer = "viewer";
    public const string Researcher = "researcher";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Viewer, Researcher, Admin];
}
