using System.Security.Claims;
using AdapterLab.Web.Auth;
using AdapterLab.Web.Projects;

namespace AdapterLab.Web.Tests;

/// <summary>Roles per project from a principal's claims: what each role may do where, and what a platform admin may.</summary>
public sealed class ProjectAccessTests
{
    private static readonly Guid A = Guid.NewGuid(), B = Guid.NewGuid(), C = Guid.NewGuid();

    private static ClaimsPrincipal User(params Claim[] claims) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "u1"), .. claims], "test"));

    private static Claim In(Guid project, string role) => new(ProjectAccess.ClaimType, ProjectAccess.Claim(project, role));

    [Fact]
    public void Each_role_grants_its_own_actions_in_its_own_project_only()
    {
        var access = ProjectAccess.Of(User(In(A, Roles.Viewer), In(B, Roles.Researcher), In(C, Roles.Admin)));
        Assert.False(access.Everything);
        Assert.True(access.CanRead(A));
        Assert.False(access.CanSubmit(A));
        Assert.True(access.CanSubmit(B));
        Assert.False(access.CanAdminister(B));
        Assert.True(access.CanAdminister(C));
        Assert.False(access.CanRead(Guid.NewGuid()));
        Assert.Equal([A, B, C], access.Readable!.OrderBy(g => g == A ? 0 : g == B ? 1 : 2));
        Assert.True(access.SeesSeveral);
    }

    [Fact]
    public void A_researcher_manages_their_own_runs_and_a_project_admin_everyone_s()
    {
        var access = ProjectAccess.Of(User(In(A, Roles.Researcher), In(B, Roles.Admin)));
        Assert.True(access.CanManage(A, "user:u1", "user:u1"));
        Assert.False(access.CanManage(A, "user:u2", "user:u1"));
        Assert.False(access.CanManage(A, null, "user:u1"));
        Assert.True(access.CanManage(B, "user:u2", "user:u1"));
    }

    [Fact]
    public void The_higher_of_two_claims_for_one_project_counts_and_malformed_claims_grant_nothing()
    {
        var access = ProjectAccess.Of(User(In(A, Roles.Viewer), In(A, Roles.Researcher),
            new Claim(ProjectAccess.ClaimType, "not-a-guid:admin"), new Claim(ProjectAccess.ClaimType, $"{B:D}:owner"), new Claim(ProjectAccess.ClaimType, $"{C:D}")));
        Assert.Equal(Roles.Researcher, access.RoleIn(A));
        Assert.False(access.CanRead(B));
        Assert.False(access.CanRead(C));
        Assert.Single(access.Roles);
    }

    [Fact]
    public void A_platform_admin_may_do_everything_and_a_project_admin_holds_no_platform_scope()
    {
        var admin = ProjectAccess.Of(User(new Claim(ClaimTypes.Role, Roles.Admin)));
        Assert.True(admin.Everything);
        Assert.True(admin.CanAdminister(Guid.NewGuid()));
        Assert.Null(admin.Readable);

        var projectAdmin = User(In(A, Roles.Admin));
        Assert.False(ProjectAccess.Of(projectAdmin).Everything);
        Assert.DoesNotContain(Scopes.Admin, ScopeAuthorizationHandler.GrantedScopes(projectAdmin));
        Assert.Contains(Scopes.ExperimentsWrite, ScopeAuthorizationHandler.GrantedScopes(projectAdmin));
    }

    [Fact]
    public void An_anonymous_principal_holds_nothing_even_with_claims()
    {
        var anonymous = new ClaimsPrincipal(new ClaimsIdentity([In(A, Roles.Admin), new Claim(Scopes.ClaimType, Scopes.Admin)]));
        var access = ProjectAccess.Of(anonymous);
        Assert.False(access.Everything);
    }

    [Theory]
    [InlineData("viewer", "researcher", "viewer")]
    [InlineData("admin", "researcher", "researcher")]
    [InlineData("admin", null, null)]
    [InlineData("researcher", "bogus", null)]
    public void The_lesser_role_bounds_a_key_by_its_owner(string? a, string? b, string? expected) =>
        Assert.Equal(expected, ProjectAccess.Lesser(a, b));

    [Fact]
    public void Scopes_of_each_role()
    {
        Assert.Equal([Scopes.Read], ProjectAccess.ScopesOf(Roles.Viewer));
        Assert.Equal([Scopes.Read, Scopes.ExperimentsWrite, Scopes.SuitesTrigger], ProjectAccess.ScopesOf(Roles.Researcher));
        Assert.Equal(ProjectAccess.ScopesOf(Roles.Researcher), ProjectAccess.ScopesOf(Roles.Admin));
        Assert.Empty(ProjectAccess.ScopesOf("nobody"));
    }

    [Fact]
    public void A_scope_covers_what_it_names()
    {
        var all = ProjectScope.All;
        var one = ProjectScope.Of(A);
        Assert.True(all.Covers(B));
        Assert.True(one.Covers(A));
        Assert.False(one.Covers(B));
        Assert.False(ProjectScope.Of([]).Covers(A));
    }
}
