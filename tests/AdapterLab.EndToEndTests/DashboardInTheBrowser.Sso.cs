using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace AdapterLab.EndToEndTests;

public sealed partial class DashboardInTheBrowser
{
    /// <summary>
    /// Single sign-on through the full authorisation-code flow in a real browser, against an OpenID Connect provider built
    /// with OpenIddict: the dashboard sends the browser to the provider, the user signs in there, the provider sends them
    /// back with a code the dashboard exchanges; the provider's projects claim becomes the user's project roles (an unknown
    /// project and a malformed value ignored), its groups claim the platform admin role, and a later sign-in with other
    /// claims changes the roles — audited with the actor "sso". Local sign-in keeps working beside it.
    /// </summary>
    [Fact]
    public async Task Single_sign_on_maps_the_providers_claims_to_project_roles()
    {
        string tag = Guid.NewGuid().ToString("N")[..6], project = $"sso-{tag}", other = $"sso-other-{tag}";
        foreach (var name in new[] { project, other })
            using (var created = await platform.Api.PostAsJsonAsync("/api/projects", new { name }))
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var email = $"grace-{tag}@example.com";
        var user = new TestIdentityProvider.User("idp-password-1", $"subject-{tag}", email, "Grace")
        {
            Projects = [$"{project}:researcher", $"{other}:viewer", $"missing-{tag}:admin", "no-role-here"],
        };
        platform.Idp.Users[$"grace-{tag}"] = user;

        async Task<IPage> SignInWithSsoAsync()
        {
            var context = await platform.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = platform.WebAddress.ToString() });
            context.SetDefaultTimeout(30_000);
            var page = await context.NewPageAsync();
            await page.GotoAsync("/account/login");
            await page.Locator("[data-testid=sso-sign-in]").ClickAsync();
            // At the provider now: its own form, on its own origin.
            await page.WaitForURLAsync(url => url.StartsWith(platform.Idp.Issuer.ToString(), StringComparison.Ordinal));
            await page.FillAsync("#idp-user", $"grace-{tag}");
            await page.FillAsync("#idp-password", "idp-password-1");
            await page.ClickAsync("#idp-sign-in");
            await page.WaitForURLAsync(url => url.StartsWith(platform.WebAddress.ToString(), StringComparison.Ordinal) && !url.Contains("/account/"));
            await InteractiveAsync(page);
            return page;
        }

        var page = await SignInWithSsoAsync();
        await Assertions.Expect(page.Locator("[data-testid=user-name]")).ToHaveTextAsync(email);
        var projects = (await (await page.APIRequest.GetAsync("/api/projects")).JsonAsync())!.Value.EnumerateArray()
            .ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("role").GetString());
        Assert.Equal(new Dictionary<string, string?> { [project] = "researcher", [other] = "viewer" }, projects);
        await page.GotoAsync($"/experiments/new?project={project}");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=submit-project]")).ToContainTextAsync(project);

        // The provider now says: viewer of the project, no longer in the other, and a platform admin.
        user.Projects = [$"{project}:viewer"];
        user.Groups = [TestIdentityProvider.AdminGroup];
        var again = await SignInWithSsoAsync();
        await Assertions.Expect(again.Locator("[data-testid=user-role]")).ToHaveTextAsync("admin");
        // A platform admin reads every project (admin everywhere); the memberships themselves are what the provider said.
        await using (var db = platform.Db())
        {
            var memberships = db.ProjectMembers.Where(m => db.Users.Any(u => u.Id == m.UserId && u.Email == email))
                .Join(db.Projects, m => m.ProjectId, p => p.Id, (m, p) => new { p.Name, m.Role }).ToList();
            Assert.Equal([(project, "viewer")], memberships.Select(m => (m.Name, m.Role)));
        }
        var audit = await platform.Api.GetFromJsonAsync<JsonElement>($"/api/projects/{project}/audit");
        var latest = audit.EnumerateArray().First();
        Assert.Equal(("member.role", email, "researcher → viewer", "sso"),
            (latest.GetProperty("action").GetString(), latest.GetProperty("subject").GetString(), latest.GetProperty("detail").GetString(), latest.GetProperty("actor").GetString()));
        var removed = (await platform.Api.GetFromJsonAsync<JsonElement>($"/api/projects/{other}/audit")).EnumerateArray().First();
        Assert.Equal(("member.removed", "sso"), (removed.GetProperty("action").GetString(), removed.GetProperty("actor").GetString()));

        // A provider user without an email is refused with a message, not signed in.
        platform.Idp.Users[$"noemail-{tag}"] = new TestIdentityProvider.User("idp-password-1", $"nomail-{tag}", "", "Nobody");
        var context = await platform.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = platform.WebAddress.ToString() });
        var refused = await context.NewPageAsync();
        await refused.GotoAsync("/account/login");
        await refused.Locator("[data-testid=sso-sign-in]").ClickAsync();
        await refused.WaitForURLAsync(url => url.StartsWith(platform.Idp.Issuer.ToString(), StringComparison.Ordinal));
        await refused.FillAsync("#idp-user", $"noemail-{tag}");
        await refused.FillAsync("#idp-password", "idp-password-1");
        await refused.ClickAsync("#idp-sign-in");
        await Assertions.Expect(refused.Locator("[data-testid=sso-error]")).ToContainTextAsync("no subject or email");
        Assert.Contains("/account/login", refused.Url);
    }
}
