using AdapterLab.Data.Entities;
using AdapterLab.IntegrationTests.Infrastructure;
using AdapterLab.Web.Auth;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace AdapterLab.EndToEndTests;

/// <summary>
/// One running platform (web in the Development environment, orchestrator, one agent) and one headless Debian chromium for
/// the whole test class, with an admin from configuration and a viewer created through Identity's tables.
/// </summary>
public sealed class BrowserPlatform : PlatformFixture
{
    public const string Password = "Browser-tests-password-9";
    public string AdminEmail { get; } = $"admin-{Guid.NewGuid():N}@example.com";
    public string ViewerEmail { get; } = $"viewer-{Guid.NewGuid():N}@example.com";
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    /// <summary>The OpenID Connect provider the dashboard's single sign-on is configured with.</summary>
    public TestIdentityProvider Idp { get; } = new();

    public override async Task InitializeAsync()
    {
        Settings["ADAPTERLAB_ADMIN_EMAIL"] = AdminEmail;
        Settings["ADAPTERLAB_ADMIN_PASSWORD"] = Password;
        await Idp.StartAsync();
        Settings["Sso:Authority"] = Idp.Issuer.ToString();
        Settings["Sso:ClientId"] = TestIdentityProvider.ClientId;
        Settings["Sso:ClientSecret"] = TestIdentityProvider.ClientSecret;
        Settings["Sso:DisplayName"] = "Test IdP";
        Settings["Sso:ProjectsClaim"] = TestIdentityProvider.ProjectsClaim;
        Settings["Sso:AdminClaim"] = "groups";
        Settings["Sso:AdminValue"] = TestIdentityProvider.AdminGroup;
        Settings["Sso:RequireHttpsMetadata"] = "false";
        await base.InitializeAsync();
        await CreateUserAsync(ViewerEmail, Roles.Viewer);
        Directory.CreateDirectory(Screenshots);
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("ADAPTERLAB_TEST_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            // WebGL in software (SwiftShader): Plotly draws parallel coordinates with WebGL, as it does in a real browser.
            Args = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    /// <summary>A user with a password and a platform role, who is a member of <paramref name="projects"/> (default: the default project, with that role).</summary>
    public async Task CreateUserAsync(string email, string role, params (Guid Project, string Role)[] projects)
    {
        await using var db = Db();
        var user = new PlatformUser
        {
            UserName = email, NormalizedUserName = email.ToUpperInvariant(), Email = email, NormalizedEmail = email.ToUpperInvariant(),
            EmailConfirmed = true, SecurityStamp = Guid.NewGuid().ToString("N"), ConcurrencyStamp = Guid.NewGuid().ToString(),
        };
        user.PasswordHash = new PasswordHasher<PlatformUser>().HashPassword(user, Password);
        db.Users.Add(user);
        var roleId = await db.Roles.Where(r => r.Name == role).Select(r => r.Id).SingleAsync();
        db.UserRoles.Add(new IdentityUserRole<string> { UserId = user.Id, RoleId = roleId });
        foreach (var (project, projectRole) in projects.Length > 0 ? projects : [(Project.DefaultId, role)])
            db.ProjectMembers.Add(new ProjectMember { ProjectId = project, UserId = user.Id, Role = projectRole, AddedAt = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync();
    }

    /// <summary>A fresh browser context signed in as <paramref name="email"/>.</summary>
    public async Task<IPage> SignInAsync(string email)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = WebAddress.ToString(), ViewportSize = new() { Width = 1600, Height = 1000 } });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/account/login");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", Password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(url => !url.Contains("/account/login"));
        return page;
    }

    public override async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Playwright?.Dispose();
        await base.DisposeAsync();
        await Idp.DisposeAsync();
    }
}
