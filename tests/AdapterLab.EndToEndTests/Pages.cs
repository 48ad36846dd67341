using Microsoft.Playwright;

namespace AdapterLab.EndToEndTests;

/// <summary>What every browser test does with a page: wait for the Blazor circuit, take a screenshot.</summary>
public static class Pages
{
    /// <summary>Waits until the page's interactive circuit is up (clicks on the prerendered page can be lost).</summary>
    public static async Task InteractiveAsync(IPage page) =>
        await page.Locator("[data-interactive='true']").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 30_000 });

    /// <summary>A full-page screenshot into <paramref name="folder"/>.</summary>
    public static Task ShotAsync(IPage page, string folder, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
}
