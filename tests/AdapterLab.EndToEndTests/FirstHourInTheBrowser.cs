using System.Text.RegularExpressions;
using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.Playwright;

namespace AdapterLab.EndToEndTests;

/// <summary>
/// A fresh platform configured as <c>./platform up</c> configures it: no admin of your own, a generated first password in
/// a file (<c>ADAPTERLAB_ADMIN_PASSWORD_FILE</c>) that must be changed at first sign-in. No agent: nothing here trains.
/// </summary>
public sealed class FirstStartPlatform : PlatformFixture
{
    public const string AdminEmail = "admin@localhost";
    public string GeneratedPassword { get; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    protected override bool StartsInProcessAgent => false;

    public override async Task InitializeAsync()
    {
        var file = Path.Combine(Path.GetTempPath(), "adapterlab-tests", Guid.NewGuid().ToString("N"), "admin-password");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, GeneratedPassword + "\n");
        Settings["ADAPTERLAB_ADMIN_EMAIL"] = AdminEmail;
        Settings["ADAPTERLAB_ADMIN_PASSWORD_FILE"] = file;
        Settings["ADAPTERLAB_ADMIN_MUST_CHANGE_PASSWORD"] = "true";
        await base.InitializeAsync();
        Directory.CreateDirectory(Screenshots);
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("ADAPTERLAB_TEST_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = WebAddress.ToString(), ViewportSize = new() { Width = 1400, Height = 900 } });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    public override async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Playwright?.Dispose();
        await base.DisposeAsync();
    }
}

/// <summary>
/// A team's first hour in the browser: sign in with the generated first password, be made to choose a new one, add a
/// researcher on the users page, who opens their one-time link, chooses a password, signs in with their role, submits an
/// experiment from the form that is theirs — and cannot manage users.
/// </summary>
public sealed class FirstHourInTheBrowser(FirstStartPlatform platform) : IClassFixture<FirstStartPlatform>
{
    private static Task InteractiveAsync(IPage page) => Pages.InteractiveAsync(page);

    private Task ShotAsync(IPage page, string name) => Pages.ShotAsync(page, platform.Screenshots, name);

    private static async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/account/login");
        // The inputs are visible: a border to see them by.
        var icon = await page.Locator("link[rel=icon]").GetAttributeAsync("href");
        Assert.Equal(200, (await page.APIRequest.GetAsync(icon!)).Status);
        var border = await page.Locator("#email").EvaluateAsync<string>("e => getComputedStyle(e).borderTopStyle + ' ' + getComputedStyle(e).borderTopWidth");
        Assert.Equal("solid 1px", border);
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
    }

    [Fact]
    public async Task The_first_admin_changes_the_generated_password_and_adds_a_researcher_who_signs_in()
    {
        var admin = await platform.NewPageAsync();
        await SignInAsync(admin, FirstStartPlatform.AdminEmail, platform.GeneratedPassword);
        // Committed is enough (the next assertion waits for the page): under a loaded CI machine the load event of the
        // post-sign-in navigation once took over 30 s to arrive.
        await admin.WaitForURLAsync("**/account/password?required=1", new() { WaitUntil = WaitUntilState.Commit, Timeout = 60_000 });
        await Assertions.Expect(admin.Locator("[data-testid='password-required']")).ToBeVisibleAsync();
        // Until then, nothing else opens: a page sends back here, the API says why.
        await admin.GotoAsync("/experiments");
        await admin.WaitForURLAsync("**/account/password?required=1", new() { WaitUntil = WaitUntilState.Commit, Timeout = 60_000 });
        Assert.Equal(403, (await admin.APIRequest.GetAsync("/api/experiments")).Status);
        await ShotAsync(admin, "first-01-change-password");

        const string adminPassword = "my-own-admin-password-1";
        await admin.FillAsync("#current", "wrong-password-123");
        await admin.FillAsync("#new-password", adminPassword);
        await admin.FillAsync("#confirm", adminPassword);
        await admin.ClickAsync("#change-password");
        await Assertions.Expect(admin.Locator("[data-testid='password-error']")).ToContainTextAsync("current password is wrong");
        await admin.FillAsync("#current", platform.GeneratedPassword);
        await admin.FillAsync("#new-password", adminPassword);
        await admin.FillAsync("#confirm", adminPassword);
        await admin.ClickAsync("#change-password");
        await admin.WaitForURLAsync(url => !url.Contains("/account/"));

        // Users page: add a researcher; the page shows their one-time link.
        var email = $"researcher-{Guid.NewGuid():N}@example.com";
        await admin.GotoAsync("/admin/users");
        await InteractiveAsync(admin);
        await admin.Locator("input[data-testid='new-user-email']").FillAsync(email);
        await admin.ClickAsync("[data-testid='add-user']");
        var link = admin.Locator("[data-testid='set-password-link']");
        // Adding a user hashes a one-time token and writes the user: on a loaded 2-core machine that took over 5 s once.
        await Assertions.Expect(link).ToContainTextAsync("/account/set-password?user=", new() { Timeout = 20_000 });
        await Assertions.Expect(admin.Locator("[data-testid='users-table']")).ToContainTextAsync(email);
        await ShotAsync(admin, "first-02-users");
        var setPassword = (await link.TextContentAsync())!.Trim();

        // A suite runs only after its cost was shown and confirmed (an agent announced just now gives the estimate its slot;
        // it has no token, so nothing is dispatched to it).
        await using (var db = platform.Db())
        {
            var now = DateTimeOffset.UtcNow;
            db.Agents.Add(new AdapterLab.Data.Entities.Agent
            {
                Id = "estimate-" + Guid.NewGuid().ToString("N")[..6], Pool = "cpu", Device = "cpu", Host = "test", QueueName = "none",
                Slots = 1, ReportedFreeSlots = 1, Version = "test", FirstSeenAt = now, LastSeenAt = now,
            });
            await db.SaveChangesAsync();
        }
        await admin.GotoAsync("/suites");
        await InteractiveAsync(admin);
        int RunCount() { using var db = platform.Db(); return db.SuiteRuns.Count(); }
        int before = RunCount();
        await admin.ClickAsync("[data-testid='trigger-adapters-smoke']");
        var dialog = admin.Locator(".mud-dialog");
        await Assertions.Expect(dialog).ToContainTextAsync("Run adapters-smoke now?");
        await Assertions.Expect(dialog).ToContainTextAsync("on 1 slot(s)");
        await ShotAsync(admin, "first-03-suite-confirm");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        Assert.Equal(before, RunCount());
        await admin.ClickAsync("[data-testid='trigger-adapters-smoke']");
        await admin.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true }).ClickAsync();
        // Launching expands the suite and submits its experiments: allow it more than Playwright's 5 s on a loaded CI box.
        await Assertions.Expect(admin.Locator(".mud-snackbar")).ToContainTextAsync("of adapters-smoke started", new() { Timeout = 30_000 });
        Assert.Equal(before + 1, RunCount());

        // The researcher: the link, a password, sign-in with their role.
        var researcher = await platform.NewPageAsync();
        await researcher.GotoAsync(setPassword);
        await researcher.FillAsync("#new-password", "researcher-chosen-pw-1");
        await researcher.FillAsync("#confirm", "researcher-chosen-pw-1");
        await researcher.ClickAsync("#set-password");
        await researcher.WaitForURLAsync("**/account/login?reset=1");
        await SignInAsync(researcher, email, "researcher-chosen-pw-1");
        await researcher.WaitForURLAsync(url => !url.Contains("/account/"));
        await InteractiveAsync(researcher);
        await Assertions.Expect(researcher.Locator("[data-testid='user-role']")).ToHaveTextAsync("researcher");
        await researcher.GotoAsync("/experiments/new");
        await InteractiveAsync(researcher);
        await Assertions.Expect(researcher.Locator("[data-testid='submit']")).ToBeVisibleAsync();
        await Assertions.Expect(researcher.Locator("[data-testid='read-only-notice']")).ToHaveCountAsync(0);
        // ... submits from the form, and the experiment is theirs.
        foreach (var (field, value) in new[] { ("name", "first-hour researcher run"), ("training.steps", "4"), ("data.trainSize", "64"), ("data.validationSize", "32"), ("data.testSize", "32") })
        {
            var input = researcher.Locator($"input[data-field='{field}']");
            await input.FillAsync(value);
            await input.BlurAsync();
        }
        await Assertions.Expect(researcher.Locator("[data-testid='validity']")).ToHaveTextAsync("Valid spec");
        await researcher.ClickAsync("[data-testid='submit']");
        try { await researcher.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/experiments/[0-9a-f-]{36}$"), new() { Timeout = 20_000 }); }
        catch (TimeoutException) { Assert.Fail("the submission did not navigate: " + await researcher.Locator("body").InnerTextAsync()); }
        var submitted = await (await researcher.APIRequest.GetAsync("/api/experiments/" + researcher.Url.Split('/')[^1])).JsonAsync();
        Assert.Equal(email, submitted!.Value.GetProperty("owner").GetString());
        Assert.StartsWith("user:", submitted.Value.GetProperty("ownerId").GetString());
        Assert.Equal(403, (await researcher.APIRequest.GetAsync("/api/users")).Status);

        // The link worked once.
        var again = await platform.NewPageAsync();
        await again.GotoAsync(setPassword);
        await again.FillAsync("#new-password", "someone-elses-pw-12");
        await again.FillAsync("#confirm", "someone-elses-pw-12");
        await again.ClickAsync("#set-password");
        await Assertions.Expect(again.Locator("[data-testid='password-error']")).ToContainTextAsync("used already");
    }
}
