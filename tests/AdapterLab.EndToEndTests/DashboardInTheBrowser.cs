using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace AdapterLab.EndToEndTests;

/// <summary>The dashboard driven through Debian's chromium against a running platform; screenshots under TestResults/screenshots.</summary>
public sealed partial class DashboardInTheBrowser(BrowserPlatform platform) : IClassFixture<BrowserPlatform>
{
    [GeneratedRegex("/experiments/([0-9a-f-]{36})$")]
    private static partial Regex ExperimentUrl();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();

    private static async Task InteractiveAsync(IPage page) =>
        await page.Locator("[data-interactive='true']").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 30_000 });

    private Task ShotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(platform.Screenshots, name + ".png"), FullPage = true });

    private static async Task FillAsync(IPage page, string field, string value)
    {
        var input = page.Locator($"input[data-field='{field}']");
        await input.FillAsync(value);
        await input.BlurAsync();
    }

    [Fact]
    public async Task An_admin_submits_through_the_form_watches_it_succeed_live_and_compares_it()
    {
        var page = await platform.SignInAsync(platform.AdminEmail);
        await page.GotoAsync("/experiments/new");
        await InteractiveAsync(page);
        await FillAsync(page, "name", "browser probe");
        await FillAsync(page, "training.steps", "0");
        // Validation as you type: the validator's message appears next to the field.
        await Assertions.Expect(page.Locator("div.mud-input-control").Filter(new() { Has = page.Locator("input[data-field='training.steps']") }))
            .ToContainTextAsync("must be between 1");
        await FillAsync(page, "training.steps", "6");
        await FillAsync(page, "data.trainSize", "64");
        await FillAsync(page, "data.validationSize", "32");
        await FillAsync(page, "data.testSize", "32");
        await FillAsync(page, "training.evalInterval", "3");
        await Assertions.Expect(page.Locator("[data-testid='validity']")).ToHaveTextAsync("Valid spec");
        await ShotAsync(page, "01-submit");
        await page.ClickAsync("[data-testid='submit']");
        await page.WaitForURLAsync(ExperimentUrl());
        var first = Guid.Parse(ExperimentUrl().Match(page.Url).Groups[1].Value);

        // Live: the page is never reloaded; notifications drive it to Succeeded.
        await Assertions.Expect(page.Locator("[data-testid='experiment-status']")).ToHaveTextAsync("Succeeded", new() { Timeout = 180_000 });
        await Assertions.Expect(page.Locator("[data-testid='results-table']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid='curve-loss']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid='no-affinity']")).ToBeVisibleAsync();
        await ShotAsync(page, "02-detail");

        // A second seed of the same configuration, then compare the two (shareable URL).
        await page.ClickAsync("[data-testid='clone']");
        await page.WaitForURLAsync("**/experiments/new?from=*");
        await InteractiveAsync(page);
        // The form loads the cloned spec once interactive: wait for it before editing, or the load overwrites the edit.
        await Assertions.Expect(page.Locator("input[data-field='training.steps']")).ToHaveValueAsync("6");
        await FillAsync(page, "training.seed", "2");
        await Assertions.Expect(page.Locator("input[data-field='training.seed']")).ToHaveValueAsync("2");
        await Assertions.Expect(page.Locator("[data-testid='validity']")).ToHaveTextAsync("Valid spec");
        await page.ClickAsync("[data-testid='submit']");
        await page.WaitForURLAsync(url => ExperimentUrl().IsMatch(url) && !url.Contains(first.ToString()));
        var second = Guid.Parse(ExperimentUrl().Match(page.Url).Groups[1].Value);
        await Assertions.Expect(page.Locator("[data-testid='experiment-status']")).ToHaveTextAsync("Succeeded", new() { Timeout = 180_000 });

        await page.GotoAsync($"/compare?ids={first},{second}");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid='results-matrix']")).ToContainTextAsync("×2 seeds");
        await Assertions.Expect(page.Locator("[data-testid='spec-diff']")).ToContainTextAsync("training.seed");
        await ShotAsync(page, "03-compare");

        await page.GotoAsync("/experiments");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid='experiments-table']")).ToContainTextAsync("browser probe");
        await ShotAsync(page, "04-experiments");

        await page.GotoAsync("/agents");
        await Assertions.Expect(page.Locator("[data-testid='agents-table']")).ToContainTextAsync(platform.AgentId);
        await ShotAsync(page, "05-agents");

        await Assertions.Expect(page.Locator("a[href='leaderboards']")).ToHaveCountAsync(1);
        await page.GotoAsync("/leaderboards");
        await ShotAsync(page, "06-leaderboards");
    }

    [Fact]
    public async Task A_viewer_can_neither_submit_nor_cancel_in_the_ui_or_through_the_api()
    {
        var id = await platform.SubmitAsync(new
        {
            specVersion = 1, name = "viewer target", kind = "adapt",
            backbone = new { preset = "vit-tiny-ci", source = "random" },
            method = new { name = "linear-probe" }, tasks = new[] { "classification" },
            data = new { dataset = "shapesworld", labelFamily = "largest-shape", sourceDomain = "synthetic", trainSize = 32, validationSize = 16, testSize = 16 },
            training = new { steps = 2, batchSize = 16 },
            priority = -1000,
        });
        var page = await platform.SignInAsync(platform.ViewerEmail);

        await page.GotoAsync("/experiments/new");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid='read-only-notice']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid='submit']")).ToHaveCountAsync(0);
        await ShotAsync(page, "07-viewer-submit");

        await page.GotoAsync($"/experiments/{id}");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid='experiment-name']")).ToHaveTextAsync("viewer target");
        await Assertions.Expect(page.Locator("[data-testid='cancel']")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("[data-testid='clone']")).ToHaveCountAsync(0);

        // The server refuses too: the viewer's own session, with a valid antiforgery token, calling cancel and submit.
        var html = await (await page.APIRequest.GetAsync("/experiments")).TextAsync();
        var token = WebUtility.HtmlDecode(AntiforgeryToken().Match(html).Groups[1].Value);
        var headers = new Dictionary<string, string> { ["RequestVerificationToken"] = token, ["Content-Type"] = "application/json" };
        var cancel = await page.APIRequest.PostAsync($"/api/experiments/{id}/cancel", new() { Headers = headers });
        Assert.Equal(403, cancel.Status);
        var submit = await page.APIRequest.PostAsync("/api/experiments", new() { Headers = headers, Data = "{}" });
        Assert.Equal(403, submit.Status);
    }
}
