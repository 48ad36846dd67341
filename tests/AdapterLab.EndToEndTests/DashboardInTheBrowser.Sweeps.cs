using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace AdapterLab.EndToEndTests;

public sealed partial class DashboardInTheBrowser
{
    /// <summary>
    /// A sweep from the dashboard: an invalid definition is refused on the form with its field named; a small ASHA search
    /// starts, its page follows it live to the end — trials with their values and rung results, the rung ladder, best so
    /// far against compute, every trial's training-loss curve, the parallel coordinates and the leading trial with its caveat.
    /// </summary>
    [Fact]
    public async Task A_sweep_started_on_the_form_is_followed_live_to_its_leader()
    {
        var name = "e2e-sweep-" + Guid.NewGuid().ToString("N")[..6];
        var definition = new
        {
            name,
            template = new
            {
                specVersion = 1, kind = "adapt",
                backbone = new { preset = "vit-tiny-ci", source = "random" },
                method = new { name = "linear-probe" },
                tasks = new[] { "classification" },
                data = new { labelFamily = "object-count", sourceDomain = "textured", trainSize = 64, validationSize = 32, testSize = 32 },
                training = new { steps = 8, batchSize = 16, optimizer = "adamw" },
            },
            space = new Dictionary<string, object> { ["training.learningRate"] = new { type = "log-uniform", low = 1e-4, high = 3e-1 } },
            objective = new { metric = "accuracy", direction = "max" },
            budget = new { maxTrials = 4 },
            algorithm = "asha", eta = 2, maxConcurrent = 2, confirmSeeds = 2, finalRungSeeds = 2,
        };
        var page = await platform.SignInAsync(platform.AdminEmail);
        await page.GotoAsync("/sweeps");
        await InteractiveAsync(page);

        var bad = JsonSerializer.SerializeToNode(definition, JsonSerializerOptions.Web)!.AsObject();
        bad["algorithm"] = "annealing";
        await page.Locator("[data-testid=sweep-json]").FillAsync(bad.ToJsonString());
        await page.Locator("[data-testid=create-sweep]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=sweep-errors]")).ToContainTextAsync("algorithm");

        await page.Locator("[data-testid=sweep-json]").FillAsync(JsonSerializer.Serialize(definition, JsonSerializerOptions.Web));
        await page.Locator("[data-testid=create-sweep]").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/sweeps/[0-9a-f-]{36}$"));
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=sweep-status]")).ToHaveTextAsync("finished", new() { Timeout = 240_000 });
        await Assertions.Expect(page.Locator("[data-testid=trial-row]")).ToHaveCountAsync(4);
        await Assertions.Expect(page.Locator("[data-testid=sweep-confirmation]")).ToContainTextAsync("fresh seeds");
        await Assertions.Expect(page.Locator("[data-testid=sweep-confirmation]")).ToContainTextAsync("floor");
        await Assertions.Expect(page.Locator("[data-testid=confirmation-runs] tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("[data-testid=trials-table]")).ToContainTextAsync("training.learningRate");
        await Assertions.Expect(page.Locator("[data-testid=trials-table]")).ToContainTextAsync("Stopped");
        await Assertions.Expect(page.Locator("[data-testid=trials-table]")).ToContainTextAsync("Succeeded");
        await Assertions.Expect(page.Locator("[data-testid=rung-ladder]")).ToContainTextAsync("8");
        // Finalists are judged on two seeds: said above the ladder, each seed's value in the finalists' rows.
        await Assertions.Expect(page.Locator("[data-testid=final-rung-seeds]")).ToContainTextAsync("mean of 2 seeds");
        await Assertions.Expect(page.Locator("[data-testid=final-seeds]").Filter(new() { HasTextRegex = new Regex(@"seed 1: [0-9.]+\s*seed 2: [0-9.]+") }).First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid=sweep-leader]")).ToContainTextAsync("fresh seeds");
        await Assertions.Expect(page.Locator("[data-testid=best-so-far-chart] .main-svg").First).ToBeVisibleAsync(new() { Timeout = 15_000 });
        // Every rung result is on the chart, drawn live as it arrived (not only those of the first render).
        var id = Guid.Parse(page.Url[^36..]);
        var details = await platform.Api.GetFromJsonAsync<JsonElement>($"/api/sweeps/{id}");
        var points = details.GetProperty("bestSoFar").EnumerateArray().ToList();
        int expected = points.Count + points.Count(p => p.GetProperty("bestFinal").ValueKind == JsonValueKind.Number);
        await Assertions.Expect(page.Locator("[data-testid=best-so-far-chart] path.point")).ToHaveCountAsync(expected);
        await Assertions.Expect(page.Locator("[data-testid=parallel-coordinates]")).ToContainTextAsync("training.learningRate", new() { Timeout = 15_000 });
        // Each trial's training loss is a line of its own, continued across its promotions.
        await Assertions.Expect(page.Locator("[data-testid=trial-curves-chart]")).ToHaveAttributeAsync("data-trials", "4");
        await Assertions.Expect(page.Locator("[data-testid=trial-curves-chart] g.trace.scatter")).ToHaveCountAsync(4, new() { Timeout = 15_000 });

        if (Environment.GetEnvironmentVariable("ADAPTERLAB_E2E_SCREENSHOTS") is { Length: > 0 } shots) await Pages.ShotAsync(page, shots, "sweep");

        await page.GotoAsync("/sweeps");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=sweeps-table]")).ToContainTextAsync(name);

        // A promotion tolerance is said above the rung ladder, and its promotions in the ladder and the trials table: a
        // tolerance of 1 (every accuracy is within it of the cut) with no step budget promotes every trial once all four
        // have started — the top half of each rung as the top, the rest within the tolerance. A sweep without one (above)
        // says nothing of it.
        var tolerant = JsonSerializer.SerializeToNode(definition, JsonSerializerOptions.Web)!.AsObject();
        tolerant["name"] = name + "-tolerant";
        tolerant["promotionTolerance"] = 1;
        tolerant["finalRungSeeds"] = 1;
        tolerant["confirmSeeds"] = 0;
        var created = await platform.Api.PostAsync("/api/sweeps", new StringContent(tolerant.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var tolerantId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("summary").GetProperty("id").GetGuid();
        await page.GotoAsync($"/sweeps/{tolerantId}");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=promotion-tolerance]")).ToContainTextAsync("within 1 of the cut");
        await Assertions.Expect(page.Locator("[data-testid=sweep-status]")).ToHaveTextAsync("finished", new() { Timeout = 240_000 });
        await Assertions.Expect(page.Locator("[data-testid=tolerance-promotions]").First).ToContainTextAsync("within the tolerance");
        await Assertions.Expect(page.Locator("[data-testid=trials-table]")).ToContainTextAsync("↑ within the tolerance");
        await Assertions.Expect(page.Locator("[data-testid=final-rung-seeds]")).ToHaveCountAsync(0);
        await page.GotoAsync($"/sweeps/{id}");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=rung-ladder]")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid=promotion-tolerance]")).ToHaveCountAsync(0);
    }
}
