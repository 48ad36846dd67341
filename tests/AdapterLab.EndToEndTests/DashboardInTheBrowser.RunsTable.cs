using AdapterLab.IntegrationTests.Web;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace AdapterLab.EndToEndTests;

public sealed partial class DashboardInTheBrowser
{
    /// <summary>
    /// The runs table as a researcher uses it: add a metric column, sort by it, filter with an expression, group by
    /// configuration, archive a run and see it leave the list, save the view and find it in the menu.
    /// </summary>
    [Fact]
    public async Task The_runs_table_adds_a_metric_column_sorts_filters_groups_and_archives()
    {
        var tag = "table-" + Guid.NewGuid().ToString("N")[..8];
        var start = DateTimeOffset.UtcNow.AddDays(-1);
        await using (var db = platform.Db())
        {
            for (int seed = 1; seed <= 3; seed++)
                PlantedExperiments.Add(db, $"{tag}-lora", seed, start.AddMinutes(seed), new Dictionary<string, double> { ["fog"] = 0.5 + 0.1 * seed },
                    method: "lora", tags: [tag], name: $"{tag} lora seed {seed}");
            PlantedExperiments.Add(db, $"{tag}-probe", 1, start.AddMinutes(4), new Dictionary<string, double> { ["fog"] = 0.55 }, tags: [tag], name: $"{tag} probe");
            await db.SaveChangesAsync();
        }
        const string column = "test.classification.fog.accuracy";
        var page = await platform.SignInAsync(platform.AdminEmail);
        var links = page.Locator("[data-testid='experiment-link']");
        await page.GotoAsync($"/experiments?tag={tag}");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid='total']")).ToHaveTextAsync("4 experiments");

        // Add the metric column from the picker: its values appear in the rows.
        await page.ClickAsync("[data-testid='column-picker']");
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = column }).First.ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("columns=" + Regex.Escape(column)));
        // The column is in the address: open it afresh (the multi-select's popover, left open, would take the next click).
        await page.GotoAsync(page.Url);
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator($"[data-testid='column-{column}']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid='cell']")).ToHaveCountAsync(4);

        // Sort by it: best first.
        await page.ClickAsync($"[data-testid='sort-{column}']");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("sort=" + Regex.Escape(column)));
        await Assertions.Expect(links).ToHaveTextAsync([$"{tag} lora seed 3", $"{tag} lora seed 2", $"{tag} lora seed 1", $"{tag} probe"]);
        await Assertions.Expect(page.Locator("[data-testid='cell']").First).ToHaveTextAsync("0.8");
        await ShotAsync(page, "20-runs-table-metric-column");

        // An expression filter; a bad one shows its error in place instead of a misleading list.
        var filter = page.Locator("input[data-testid='filter-query']");
        await filter.FillAsync("test.accuracy >");
        await filter.PressAsync("Enter");
        await Assertions.Expect(page.Locator(".mud-input-control").Filter(new() { Has = filter })).ToContainTextAsync("needs a value");
        await filter.FillAsync("test.accuracy > 0.65 and method = lora");
        await filter.PressAsync("Enter");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("0\\.65"));
        await Assertions.Expect(page.Locator("[data-testid='total']")).ToHaveTextAsync("2 experiments");
        await Assertions.Expect(links).ToHaveTextAsync([$"{tag} lora seed 3", $"{tag} lora seed 2"]);

        // Group by configuration: one row, its two runs, the mean with an interval.
        await page.GotoAsync(page.Url + "&group=configuration");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid='group-row']")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("[data-testid='group-runs']")).ToHaveTextAsync("2 (2 succeeded)");
        await Assertions.Expect(page.Locator("[data-testid='group-cell']")).ToContainTextAsync("0.75 [");
        await Assertions.Expect(page.Locator("[data-testid='group-cell']")).ToContainTextAsync(", 1]"); // an accuracy's interval is clamped to [0, 1]
        await Assertions.Expect(page.Locator("[data-testid='total']")).ToContainTextAsync("1 configuration on this page");
        await ShotAsync(page, "21-runs-table-grouped");

        // Save the view; it is listed in the menu with its address.
        var viewName = page.Locator("input[data-testid='view-name']");
        await viewName.FillAsync($"{tag} good lora");
        await viewName.BlurAsync();
        await page.Locator(".mud-input-control").Filter(new() { Has = viewName }).Locator("button").First.ClickAsync();
        await page.ClickAsync("[data-testid='views-menu']");
        await Assertions.Expect(page.Locator(".mud-popover-open")).ToContainTextAsync($"{tag} good lora");
        await page.Keyboard.PressAsync("Escape");

        // Archive the probe: it leaves the list, and is found among the archived.
        await page.GotoAsync($"/experiments?tag={tag}");
        await InteractiveAsync(page);
        await page.Locator("tr").Filter(new() { HasText = $"{tag} probe" }).Locator("input[type=checkbox]").CheckAsync();
        await page.ClickAsync("[data-testid='bulk-archive']");
        await Assertions.Expect(page.Locator("[data-testid='total']")).ToHaveTextAsync("3 experiments");
        await Assertions.Expect(page.Locator("[data-testid='experiments-table']")).Not.ToContainTextAsync($"{tag} probe");
        await page.GotoAsync($"/experiments?tag={tag}&archived=only");
        await InteractiveAsync(page);
        await Assertions.Expect(links).ToHaveTextAsync([$"{tag} probe"]);
        await Assertions.Expect(page.Locator("[data-testid='archived-chip']")).ToBeVisibleAsync();
    }
}
