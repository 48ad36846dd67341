using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AdapterLab.Data.Entities;
using AdapterLab.Data.Leaderboards;
using AdapterLab.IntegrationTests.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace AdapterLab.EndToEndTests;

public sealed partial class DashboardInTheBrowser
{
    /// <summary>
    /// A viewer of project A sees nothing of project B in the dashboard: not in the experiment list (nor its
    /// cross-project view), not by URL, not on compare, leaderboards, backbones or the project switcher — while an admin of
    /// the platform sees both, and switching project changes what the lists show.
    /// </summary>
    [Fact]
    public async Task A_viewer_of_one_project_sees_nothing_of_another_in_the_browser()
    {
        string tag = Guid.NewGuid().ToString("N")[..6];
        string alpha = $"alpha-{tag}", beta = $"beta-{tag}";
        var ids = new Dictionary<string, Guid>();
        foreach (var name in new[] { alpha, beta })
            using (var created = await platform.Api.PostAsJsonAsync("/api/projects", new { name }))
            {
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                ids[name] = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            }
        // One succeeded run in each project, on the same board (same label family and domain), and a backbone in beta.
        var domain = $"proj-{tag}";
        var runs = new Dictionary<string, Guid>();
        await using (var db = platform.Db())
        {
            var blobs = platform.WebServices.GetRequiredService<AdapterLab.Data.Blobs.BlobStore>();
            foreach (var (project, value) in new[] { (alpha, 0.71), (beta, 0.83) })
            {
                var e = PlantedExperiments.Add(db, $"{project}-cfg", 1, DateTimeOffset.UtcNow, new Dictionary<string, double> { [domain] = value }, name: $"{project}-run");
                e.ProjectId = ids[project];
                await PlantedExperiments.PlantPredictionsAsync(db, blobs, e, domain, value);
                runs[project] = e.Id;
            }
            db.Backbones.Add(new Backbone { Name = $"{beta}-backbone", ProjectId = ids[beta], Preset = "vit-tiny-ci", Origin = "import", CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
            foreach (var id in runs.Values) await LeaderboardProjection.RefreshAsync(db, id, CancellationToken.None);
        }
        var viewer = $"alpha-viewer-{tag}@example.com";
        await platform.CreateUserAsync(viewer, AdapterLab.Web.Auth.Roles.Viewer, (ids[alpha], "viewer"));

        var page = await platform.SignInAsync(viewer);
        await page.GotoAsync("/");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=project-switcher]")).ToContainTextAsync(alpha);
        await Assertions.Expect(page.GetByText($"{alpha}-run")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText($"{beta}-run")).ToHaveCountAsync(0);

        // Not in the cross-project view, not by URL, not on compare.
        await page.GotoAsync("/?project=*");
        await InteractiveAsync(page);
        await Assertions.Expect(page.GetByText($"{alpha}-run")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText($"{beta}-run")).ToHaveCountAsync(0);
        await page.GotoAsync($"/experiments/{runs[beta]}");
        await InteractiveAsync(page);
        await Assertions.Expect(page.GetByText($"No experiment with id {runs[beta]}")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText($"{beta}-run")).ToHaveCountAsync(0);
        await page.GotoAsync($"/compare?ids={runs[alpha]},{runs[beta]}");
        await InteractiveAsync(page);
        await Assertions.Expect(page.GetByText($"{alpha}-run").First).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText($"{beta}-run")).ToHaveCountAsync(0);

        // The board shows alpha's entry only; the backbone list nothing of beta; the projects page alpha only, without its members.
        var board = $"shapesworld.object-count.{domain}.classification.accuracy";
        await page.GotoAsync($"/leaderboards/{board}");
        await InteractiveAsync(page);
        await Assertions.Expect(page.GetByText($"{alpha}-run")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText($"{beta}-run")).ToHaveCountAsync(0);
        await page.GotoAsync("/backbones");
        await InteractiveAsync(page);
        await Assertions.Expect(page.GetByText($"{beta}-backbone")).ToHaveCountAsync(0);
        await page.GotoAsync("/projects");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=project-name]")).ToHaveTextAsync([alpha]);
        await Assertions.Expect(page.Locator("[data-testid=members]")).ToHaveCountAsync(0);
        if (Environment.GetEnvironmentVariable("ADAPTERLAB_E2E_SCREENSHOTS") is { Length: > 0 } shots) await Pages.ShotAsync(page, shots, "projects-viewer");

        // A platform admin sees both, and the switcher changes what the list shows.
        var admin = await platform.SignInAsync(platform.AdminEmail);
        await admin.GotoAsync($"/?project={beta}");
        await InteractiveAsync(admin);
        await Assertions.Expect(admin.GetByText($"{beta}-run")).ToBeVisibleAsync();
        await Assertions.Expect(admin.GetByText($"{alpha}-run")).ToHaveCountAsync(0);
        await admin.Locator("[data-testid=project-switcher]").ClickAsync();
        await admin.GetByRole(AriaRole.Option, new() { Name = $"{alpha} (admin)" }).ClickAsync();
        await admin.WaitForURLAsync(url => !url.Contains("project="));
        await InteractiveAsync(admin);
        await Assertions.Expect(admin.GetByText($"{alpha}-run")).ToBeVisibleAsync();
        await Assertions.Expect(admin.GetByText($"{beta}-run")).ToHaveCountAsync(0);
        // Back to the default project for the other tests' lists.
        await admin.Locator("[data-testid=project-switcher]").ClickAsync();
        await admin.GetByRole(AriaRole.Option, new() { Name = $"{Project.DefaultName} (admin)" }).ClickAsync();
        // The switch reloads the page (its URL unchanged: nothing to wait for but the list), slowly on a loaded machine.
        await Assertions.Expect(admin.GetByText($"{alpha}-run")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
        await InteractiveAsync(admin);
        await Assertions.Expect(admin.Locator("[data-testid=project-switcher]")).ToContainTextAsync(Project.DefaultName);
    }
}
