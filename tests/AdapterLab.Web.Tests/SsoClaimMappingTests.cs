using System.Security.Claims;
using AdapterLab.Web.Auth;

namespace AdapterLab.Web.Tests;

/// <summary>How an OpenID Connect provider's claims map to a user, their platform admin role and their roles per project.</summary>
public sealed class SsoClaimMappingTests
{
    private static readonly SsoOptions Options = new() { Authority = "https://idp.example", ClientId = "c", ProjectsClaim = "adapterlab_projects", AdminClaim = "groups", AdminValue = "lab-admins" };

    private static Claim C(string type, string value) => new(type, value);

    [Fact]
    public void Projects_roles_and_admin_come_from_the_configured_claims()
    {
        var id = SsoClaimMapping.Map([C("sub", "s1"), C("email", " ada@example.com "), C("name", "Ada"),
            C("adapterlab_projects", "vision:researcher"), C("adapterlab_projects", "nlp:viewer audio:admin"), C("groups", "lab-admins")], Options, out var error)!;
        Assert.Null(error);
        Assert.Equal(("s1", "ada@example.com", "Ada", true), (id.Subject, id.Email, id.Name, id.IsAdmin));
        Assert.Equal(new Dictionary<string, string> { ["vision"] = "researcher", ["nlp"] = "viewer", ["audio"] = "admin" }, id.Projects);
        Assert.Empty(id.Ignored);
    }

    [Fact]
    public void Malformed_values_are_ignored_and_reported_and_the_highest_role_of_a_project_counts()
    {
        var id = SsoClaimMapping.Map([C("sub", "s1"), C("email", "a@x.org"), C("adapterlab_projects", "vision:viewer,vision:admin,no-colon,:admin,Bad_Name:viewer,nlp:owner,x:viewer")], Options, out _)!;
        Assert.Equal(new Dictionary<string, string> { ["vision"] = "admin" }, id.Projects);
        Assert.Equal(["no-colon", ":admin", "Bad_Name:viewer", "nlp:owner", "x:viewer"], id.Ignored);
    }

    [Fact]
    public void Without_the_projects_claim_memberships_are_left_alone_and_without_an_admin_value_no_one_is_made_admin()
    {
        var id = SsoClaimMapping.Map([C("sub", "s1"), C("email", "a@x.org"), C("groups", "lab-admins")], Options with { AdminValue = null }, out _)!;
        Assert.Null(id.Projects);
        Assert.False(id.IsAdmin);
        var empty = SsoClaimMapping.Map([C("sub", "s1"), C("email", "a@x.org"), C("adapterlab_projects", "")], Options, out _)!;
        Assert.Empty(empty.Projects!);
    }

    [Theory]
    [InlineData(null, "a@x.org", "no subject")]
    [InlineData("s1", null, "no email")]
    [InlineData("s1", "  ", "no email")]
    public void A_principal_without_subject_or_email_is_refused_with_the_reason(string? sub, string? email, string reason)
    {
        var claims = new List<Claim>();
        if (sub is not null) claims.Add(C("sub", sub));
        if (email is not null) claims.Add(C("email", email));
        Assert.Null(SsoClaimMapping.Map(claims, Options, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Sso_is_off_until_an_authority_and_a_client_are_set()
    {
        Assert.False(new SsoOptions().Enabled);
        Assert.False(new SsoOptions { Authority = "https://idp" }.Enabled);
        Assert.True(Options.Enabled);
    }
}
