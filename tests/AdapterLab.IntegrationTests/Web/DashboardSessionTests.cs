using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AdapterLab.Data.Entities;
using AdapterLab.Web.Auth;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace AdapterLab.IntegrationTests.Web;

/// <summary>A signed-in dashboard user gets the scopes of their roles on the API too; Hangfire is for admins only.</summary>
public sealed partial class DashboardSessionTests(WebAppFixture web) : IClassFixture<WebAppFixture>
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();

    [Fact]
    public async Task A_researcher_may_submit_from_the_browser_session_but_not_open_hangfire()
    {
        using var client = await SignInAsync(Roles.Researcher);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/experiments")).StatusCode);
        // A cookie session changing state through the API must send the page's antiforgery token (CSRF guard).
        var refused = await client.PostAsync("/api/experiments", new StringContent(WebTestSpecs.AdaptFormer, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var page = await client.GetStringAsync("/experiments");
        client.DefaultRequestHeaders.Add("RequestVerificationToken", WebUtility.HtmlDecode(AntiforgeryToken().Match(page).Groups[1].Value));
        var response = await client.PostAsync("/api/experiments", new StringContent(WebTestSpecs.AdaptFormer, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var details = await client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}");
        Assert.StartsWith("researcher-", details.GetProperty("owner").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/hangfire")).StatusCode);
    }

    [Fact]
    public async Task A_user_manages_their_own_api_keys_which_act_as_them_within_their_role()
    {
        var (client, email) = await SignInWithEmailAsync(Roles.Researcher);
        using var session = client;
        var page = await client.GetStringAsync("/experiments");
        client.DefaultRequestHeaders.Add("RequestVerificationToken", WebUtility.HtmlDecode(AntiforgeryToken().Match(page).Groups[1].Value));

        // Only scopes the role grants; refusals name the field.
        using (var beyond = await client.PostAsJsonAsync("/api/account/keys", new { name = "ci", scopes = new[] { "read", "admin" } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, beyond.StatusCode);
            Assert.Contains("admin", (await beyond.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("scopes")[0].GetString());
        }
        using (var blank = await client.PostAsJsonAsync("/api/account/keys", new { name = " \u0000", scopes = new[] { "read" } }))
            Assert.True((await blank.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("name", out _));

        using var created = await client.PostAsJsonAsync("/api/account/keys", new { name = "ci", scopes = new[] { "read", "experiments:write" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = await created.Content.ReadFromJsonAsync<JsonElement>();
        var secret = key.GetProperty("key").GetString()!;
        var keyId = key.GetProperty("id").GetGuid();

        // The key acts as its user: what it submits is theirs.
        using (var asKey = web.WithApiKey(secret))
        {
            using var submitted = await asKey.PostAsync("/api/experiments", new StringContent(WebTestSpecs.AdaptFormer, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
            var id = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            Assert.Equal(email, (await asKey.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}")).GetProperty("owner").GetString());
            // An API key cannot manage keys (the account API is for signed-in people).
            Assert.Equal(HttpStatusCode.Unauthorized, (await asKey.GetAsync("/api/account/keys")).StatusCode);
        }

        // Listed as theirs (never the secret); another user neither sees nor revokes it.
        var mine = await client.GetFromJsonAsync<JsonElement>("/api/account/keys");
        Assert.Equal([keyId], mine.EnumerateArray().Select(k => k.GetProperty("id").GetGuid()));
        Assert.DoesNotContain(secret, mine.ToString());
        var (other, _) = await SignInWithEmailAsync(Roles.Researcher);
        using (other)
        {
            var otherPage = await other.GetStringAsync("/experiments");
            other.DefaultRequestHeaders.Add("RequestVerificationToken", WebUtility.HtmlDecode(AntiforgeryToken().Match(otherPage).Groups[1].Value));
            Assert.Empty((await other.GetFromJsonAsync<JsonElement>("/api/account/keys")).EnumerateArray());
            Assert.Equal(HttpStatusCode.NotFound, (await other.DeleteAsync($"/api/account/keys/{keyId}")).StatusCode);
        }
        using (var asKey = web.WithApiKey(secret)) Assert.Equal(HttpStatusCode.OK, (await asKey.GetAsync("/api/experiments")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/account/keys/{keyId}")).StatusCode);
        using (var asKey = web.WithApiKey(secret)) Assert.Equal(HttpStatusCode.Unauthorized, (await asKey.GetAsync("/api/experiments")).StatusCode);
    }

    [Fact]
    public async Task A_viewer_may_read_but_not_submit()
    {
        using var client = await SignInAsync(Roles.Viewer);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/experiments")).StatusCode);
        var response = await client.PostAsync("/api/experiments", new StringContent(WebTestSpecs.AdaptFormer, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task An_admin_opens_the_dashboard_and_hangfire()
    {
        using var client = await SignInAsync(Roles.Admin);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/hangfire")).StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_does_not_sign_in()
    {
        var email = await CreateUserAsync(Roles.Admin);
        using var client = NewBrowser();
        var response = await PostLoginAsync(client, email, "wrong-password");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Wrong email or password", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/experiments")).StatusCode);
    }

    private const string Password = "Correct-horse-battery-9";

    private async Task<HttpClient> SignInAsync(string role) => (await SignInWithEmailAsync(role)).Client;

    private async Task<(HttpClient Client, string Email)> SignInWithEmailAsync(string role)
    {
        var email = await CreateUserAsync(role);
        var client = NewBrowser();
        var response = await PostLoginAsync(client, email, Password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return (client, email);
    }

    private HttpClient NewBrowser() =>
        new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() })
        {
            BaseAddress = web.BaseAddress,
        };

    private static async Task<HttpResponseMessage> PostLoginAsync(HttpClient client, string email, string password)
    {
        var page = await client.GetStringAsync("/account/login");
        var token = AntiforgeryToken().Match(page).Groups[1].Value;
        return await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }));
    }

    private async Task<string> CreateUserAsync(string role)
    {
        using var scope = web.App.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PlatformUser>>();
        var email = $"{role}-{Guid.NewGuid():N}@example.com";
        var user = new PlatformUser { UserName = email, Email = email, EmailConfirmed = true };
        Assert.True((await users.CreateAsync(user, Password)).Succeeded);
        Assert.True((await users.AddToRoleAsync(user, role)).Succeeded);
        // As the users API does: a user's platform role is their role in the default project.
        var db = scope.ServiceProvider.GetRequiredService<AdapterLab.Data.PlatformDbContext>();
        db.ProjectMembers.Add(new ProjectMember { ProjectId = Project.DefaultId, UserId = user.Id, Role = role, AddedAt = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync();
        return email;
    }
}
