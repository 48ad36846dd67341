using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using AdapterLab.Data.Leaderboards;
using AdapterLab.IntegrationTests.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace AdapterLab.EndToEndTests;

/// <summary>The dashboard driven through Debian's chromium against a running platform; screenshots under TestResults/screenshots.</summary>
public sealed partial class DashboardInTheBrowser(BrowserPlatform platform) : IClassFixture<BrowserPlatform>
{
    [GeneratedRegex("/experiments/([0-9a-f-]{36})$")]
    private static partial Regex ExperimentUrl();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();

    private static Task InteractiveAsync(IPage page) => Pages.InteractiveAsync(page);

    /// <summary>How far the page sticks out sideways, and the outermost elements that do (not inside a scrolling box);
    /// when none qualifies, the three widest elements that stick out at all.</summary>
    private const string PhoneOverflowScript = """
        () => {
            const overflow = document.documentElement.scrollWidth - document.documentElement.clientWidth;
            const out = e => e.getBoundingClientRect().right > window.innerWidth + 1;
            const all = [...document.querySelectorAll('body *')].filter(out);
            const outermost = all.filter(e => {
                for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
                    const o = getComputedStyle(p).overflowX;
                    if (o === 'auto' || o === 'scroll' || o === 'hidden') return false;
                    if (out(p)) return false;
                }
                return true;
            });
            const pick = (outermost.length ? outermost : all.sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right));
            const name = e => e.tagName.toLowerCase() + '.' + [...e.classList].join('.') + (e.dataset.testid ? '[' + e.dataset.testid + ']' : '') + ' (' + Math.round(e.getBoundingClientRect().right) + ' px)';
            return [String(overflow), pick.slice(0, 3).map(name).join(', ') || 'no element sticks out of the viewport'];
        }
        """;

    private Task ShotAsync(IPage page, string name) => Pages.ShotAsync(page, platform.Screenshots, name);

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
        // Interactive curves: hovering the loss plot shows the value under the pointer.
        var lossPlot = page.Locator("[data-testid='curve-loss'] .nsewdrag").First;
        await lossPlot.WaitForAsync(new() { Timeout = 15_000 });
        var box = (await lossPlot.BoundingBoxAsync())!;
        for (int i = 1; i <= 4; i++) await page.Mouse.MoveAsync(box.X + box.Width * i / 5, box.Y + box.Height / 2, new() { Steps = 3 });
        await Assertions.Expect(page.Locator("[data-testid='curve-loss'] .hoverlayer")).ToContainTextAsync(new Regex(@"\d\.\d"));
        await Assertions.Expect(page.Locator("[data-testid='no-affinity']")).ToBeVisibleAsync();
        await ShotAsync(page, "02-detail");

        // The lab notebook: the attempt's log as its agent shipped it, searchable; system metrics per attempt.
        var logs = page.Locator("[data-testid='attempt-logs']");
        await Assertions.Expect(logs).ToContainTextAsync("Prepared on cpu", new() { Timeout = 30_000 });
        await Assertions.Expect(logs).ToContainTextAsync("step 6/6");
        var search = page.Locator("input[data-testid='log-search']");
        await search.FillAsync("STEP 6/6");
        // Two of the eleven lines: the last step's training loss, then the final evaluation's results.
        await Assertions.Expect(logs.Locator("[data-testid='log-line']")).ToHaveCountAsync(2);
        await Assertions.Expect(logs.Locator("[data-testid='log-line']").Last).ToContainTextAsync("test/");
        await search.FillAsync("no such line anywhere");
        await Assertions.Expect(logs.Locator("[data-testid='no-log-lines']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid='system-metrics'] [data-testid='curve-memory_mib']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid='system-metrics'] [data-testid='curve-step_seconds']")).ToContainTextAsync("step_seconds");
        // Its notes and tags, edited in place by the owner: markdown rendered, HTML shown as text, the change audited.
        await page.ClickAsync("[data-testid='edit-notebook']");
        await page.Locator("textarea[data-testid='edit-notes']").FillAsync("## Finding\n- the loss fell <b>fast</b>");
        await page.Locator("input[data-testid='edit-tags']").FillAsync("browser, probe-notes");
        await page.ClickAsync("[data-testid='save-notebook']");
        await Assertions.Expect(page.Locator("[data-testid='notes'] h2")).ToHaveTextAsync("Finding");
        await Assertions.Expect(page.Locator("[data-testid='notes'] li")).ToHaveTextAsync("the loss fell <b>fast</b>");
        await Assertions.Expect(page.Locator("[data-testid='tags']")).ToContainTextAsync("probe-notes");
        await Assertions.Expect(page.Locator("[data-testid='notebook-history']")).ToContainTextAsync("History (2 changes)");
        await ShotAsync(page, "02b-notebook");
        var edited = await platform.GetExperimentAsync(first);
        Assert.Contains("probe-notes", edited.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

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

        // A second configuration (another learning rate, seed 1) through the API, to compare against.
        var firstSpec = System.Text.Json.Nodes.JsonNode.Parse((await platform.GetExperimentAsync(first)).GetProperty("spec").GetRawText())!.AsObject();
        firstSpec["name"] = "browser probe other lr";
        firstSpec["training"]!["learningRate"] = 0.5;
        var third = await platform.SubmitAsync(firstSpec);
        await platform.WaitForStatusAsync(third, "Succeeded", TimeSpan.FromMinutes(3));

        await page.GotoAsync($"/compare?ids={first},{second}");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid='results-matrix']")).ToContainTextAsync("×2 seeds");
        await Assertions.Expect(page.Locator("[data-testid='spec-diff']")).ToContainTextAsync("training.seed");

        // Against another configuration: intervals, a verdict in words, floor rows and the forest plot of the differences.
        await page.GotoAsync($"/compare?ids={first},{second},{third}");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid='interval']").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid='verdict']").Last).ToContainTextAsync(new Regex("better|worse|equivalent|no difference detected"));
        await Assertions.Expect(page.Locator("[data-testid='floor-row']").First).ToContainTextAsync("majority-class");
        await Assertions.Expect(page.Locator("[data-testid='forest-plot'] .main-svg").First).ToBeVisibleAsync(new() { Timeout = 15_000 });
        // Hyper-parameters against the metric: the learning rate that differs is an axis of the parallel coordinates.
        await Assertions.Expect(page.Locator("[data-testid='parallel-coordinates']")).ToContainTextAsync("training.learningRate", new() { Timeout = 15_000 });
        await ShotAsync(page, "03-compare");

        await page.GotoAsync("/experiments");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid='experiments-table']")).ToContainTextAsync("browser probe");
        await ShotAsync(page, "04-experiments");

        // Keyboard navigation: ? lists the keys; / searches; j moves down the rows and Enter opens one; g l goes to the
        // leaderboards; d switches dark mode, which the next page load keeps.
        await page.Keyboard.PressAsync("?");
        await Assertions.Expect(page.Locator("[data-testid='keyboard-help']")).ToContainTextAsync("next / previous row");
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator("[data-testid='keyboard-help']")).ToHaveCountAsync(0);
        await page.Keyboard.PressAsync("/");
        await Assertions.Expect(page.Locator("input[data-testid='filter-query']")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await page.Keyboard.PressAsync("j");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page).ToHaveURLAsync(ExperimentUrl());
        await InteractiveAsync(page);
        await page.Keyboard.PressAsync("g");
        await page.Keyboard.PressAsync("l");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/leaderboards$"));
        await InteractiveAsync(page);
        var dark = page.Locator("[data-testid='dark-mode']");
        await Assertions.Expect(dark).ToHaveAttributeAsync("aria-pressed", "false");
        var lightBackground = await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
        await page.Keyboard.PressAsync("d");
        await Assertions.Expect(dark).ToHaveAttributeAsync("aria-pressed", "true");
        await page.ReloadAsync();
        await InteractiveAsync(page);
        await Assertions.Expect(dark).ToHaveAttributeAsync("aria-pressed", "true");
        Assert.NotEqual(lightBackground, await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor"));
        await ShotAsync(page, "04b-dark");
        await page.Keyboard.PressAsync("d");
        await Assertions.Expect(dark).ToHaveAttributeAsync("aria-pressed", "false");

        await page.GotoAsync("/agents");
        await Assertions.Expect(page.Locator("[data-testid='agents-table']")).ToContainTextAsync(platform.AgentId);
        await ShotAsync(page, "05-agents");

        await Assertions.Expect(page.Locator("a[href='leaderboards']")).ToHaveCountAsync(1);
        await page.GotoAsync("/leaderboards");
        await ShotAsync(page, "06-leaderboards");
    }

    [Fact]
    public async Task A_dense_run_shows_its_prediction_gallery_and_the_main_pages_fit_a_390_px_phone()
    {
        var dense = await platform.SubmitAsync(new
        {
            specVersion = 1, name = "browser dense gallery with a deliberately long name that must wrap rather than push the page sideways", kind = "multitask",
            backbone = new { preset = "vit-tiny-ci", source = "random" },
            method = new { name = "single-task" }, tasks = new[] { "depth" },
            data = new { dataset = "shapesworld", setting = "domain-generalization", sourceDomain = "synthetic", targetDomains = new[] { "fog" }, trainSize = 16, validationSize = 8, testSize = 8 },
            training = new { steps = 3, batchSize = 8, evalInterval = 3, seed = 1 },
        });
        await platform.WaitForStatusAsync(dense, "Succeeded", TimeSpan.FromMinutes(3));

        var page = await platform.SignInAsync(platform.AdminEmail);
        await page.GotoAsync($"/experiments/{dense}");
        await InteractiveAsync(page);
        var images = page.Locator("[data-testid='gallery'] table.gallery img");
        await Assertions.Expect(images.First).ToBeVisibleAsync();
        // The dense metrics' curves are drawn too (one final point each is a marker).
        await Assertions.Expect(page.Locator("[data-testid='curve-rmse'] .main-svg").First).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("[data-testid='curve-loss'] .main-svg").First).ToBeVisibleAsync(new() { Timeout = 15_000 });
        // Input, prediction and truth for 3 test images of each of the two domains; each one decodes as an image.
        Assert.Equal(2 * 3 * 3, await images.CountAsync());
        var widths = await images.EvaluateAllAsync<int[]>(
            "async imgs => Promise.all(imgs.map(i => i.decode().then(() => i.naturalWidth, () => 0)))");
        Assert.All(widths, w => Assert.True(w > 0, "a gallery image did not render"));
        var src = await images.First.GetAttributeAsync("src");
        var png = await page.APIRequest.GetAsync(src!);
        Assert.Equal("image/png", png.Headers["content-type"]);
        await ShotAsync(page, "07-gallery");

        // A phone: no page scrolls sideways (wide tables scroll inside their own box).
        await page.SetViewportSizeAsync(390, 844);
        foreach (var path in new[] { "/experiments", $"/experiments/{dense}", "/experiments/new", $"/compare?ids={dense}", "/leaderboards", "/suites", "/agents", "/account/keys", "/admin/users" })
        {
            await page.GotoAsync(path);
            await InteractiveAsync(page);
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            // Measured and explained in one script, and again until the layout settles (a page that is re-rendered on
            // hydration may stick out for a frame): a page that still sticks out after 3 s fails, naming what sticks out.
            var (overflow, culprits) = (0, "");
            for (var tries = 0; tries < 10; tries++)
            {
                var measured = await page.EvaluateAsync<string[]>(PhoneOverflowScript);
                (overflow, culprits) = (int.Parse(measured[0]), measured[1]);
                if (overflow <= 0) break;
                await Task.Delay(300);
            }
            if (overflow <= 0) continue;
            await ShotAsync(page, "phone-overflow-" + path.Trim('/').Split('?')[0].Replace('/', '-'));
            Assert.Fail($"{path} overflows a 390 px screen by {overflow} px: {culprits}");
        }
        await page.GotoAsync("/experiments");
        await InteractiveAsync(page);
        await ShotAsync(page, "08-phone-experiments");
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

    [Fact]
    public async Task A_url_with_filters_opens_the_filtered_view_and_paging_keeps_its_place_in_the_url()
    {
        // 27 bitfit and 3 linear-probe experiments under a fresh tag, newest last.
        var tag = "url-" + Guid.NewGuid().ToString("N")[..8];
        var start = DateTimeOffset.UtcNow.AddDays(-2);
        await using (var db = platform.Db())
        {
            for (int i = 0; i < 30; i++)
                PlantedExperiments.Add(db, $"{tag}-{(i < 3 ? "probe" : "bitfit")}", 1, start.AddMinutes(i), method: i < 3 ? "linear-probe" : "bitfit",
                    tags: [tag], name: $"{tag} #{i:00}");
            await db.SaveChangesAsync();
        }
        var page = await platform.SignInAsync(platform.ViewerEmail);
        var rows = page.Locator("[data-testid='row-method']");

        // A shared link: the filters come from the URL and show as applied.
        await page.GotoAsync($"/experiments?tag={tag}&method=linear-probe");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid='active-filters']")).ToContainTextAsync("method: linear-probe");
        await Assertions.Expect(page.Locator("[data-testid='active-filters']")).ToContainTextAsync($"tag: {tag}");
        await Assertions.Expect(page.Locator("[data-testid='total']")).ToHaveTextAsync("3 experiments");
        await Assertions.Expect(rows).ToHaveTextAsync(["linear-probe", "linear-probe", "linear-probe"]);
        await ShotAsync(page, "08-experiments-filtered-by-url");

        // Sorting (by name, ascending) goes into the URL and survives a reload; newest first would start at #02.
        await page.ClickAsync("[data-testid='sort-name']");
        await page.WaitForURLAsync(url => url.Contains("sort=name"));
        await Assertions.Expect(page.Locator("[data-testid='experiment-link']").First).ToHaveTextAsync($"{tag} #00");
        await page.ReloadAsync();
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid='experiment-link']").First).ToHaveTextAsync($"{tag} #00");
        Assert.Contains("method=linear-probe", page.Url);

        // The default order pages by cursor: page 2 is an address of its own, reloadable, and page 1 comes back.
        await page.GotoAsync($"/experiments?tag={tag}");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid='total']")).ToHaveTextAsync("30 experiments");
        await Assertions.Expect(rows).ToHaveCountAsync(25);
        await Assertions.Expect(page.Locator("[data-testid='experiment-link']").First).ToHaveTextAsync($"{tag} #29");
        await page.ClickAsync("[data-testid='page-next']");
        await page.WaitForURLAsync(url => url.Contains("page=2") && url.Contains("cursor="));
        await Assertions.Expect(rows).ToHaveCountAsync(5);
        await Assertions.Expect(page.Locator("[data-testid='experiment-link']").First).ToHaveTextAsync($"{tag} #04");
        await Assertions.Expect(page.Locator("[data-testid='page-next']")).ToBeDisabledAsync();
        await page.ReloadAsync();
        await InteractiveAsync(page);
        await Assertions.Expect(rows).ToHaveCountAsync(5);
        await Assertions.Expect(page.Locator("[data-testid='page-number']")).ToHaveTextAsync("page 2");
        await page.ClickAsync("[data-testid='page-previous']");
        await page.WaitForURLAsync(url => !url.Contains("cursor="));
        await Assertions.Expect(page.Locator("[data-testid='experiment-link']").First).ToHaveTextAsync($"{tag} #29");
    }

    [Fact]
    public async Task A_leaderboard_shows_its_ranking_in_order_with_the_pinned_baseline_and_exports_csv_and_json()
    {
        // Three configurations × two seeds on a board of their own: strong > cheap > weak.
        var domain = "board-" + Guid.NewGuid().ToString("N")[..8];
        var start = DateTimeOffset.UtcNow.AddDays(-1);
        await using (var db = platform.Db())
        {
            var ids = new List<Guid>();
            var blobs = platform.WebServices.GetRequiredService<AdapterLab.Data.Blobs.BlobStore>();
            foreach (var (cfg, values) in new[] { ("weak", new[] { 0.50, 0.52 }), ("strong", new[] { 0.90, 0.88 }), ("cheap", new[] { 0.70, 0.72 }) })
                for (int seed = 1; seed <= 2; seed++)
                {
                    var planted = PlantedExperiments.Add(db, $"{domain}-{cfg}", seed, start.AddMinutes(ids.Count),
                        new Dictionary<string, double> { [domain] = values[seed - 1] }, name: $"{domain} {cfg}");
                    await PlantedExperiments.PlantPredictionsAsync(db, blobs, planted, domain, values[seed - 1]);
                    ids.Add(planted.Id);
                }
            await db.SaveChangesAsync();
            foreach (var id in ids)
            {
                await LeaderboardProjection.RefreshAsync(db, id, CancellationToken.None);
                await LeaderboardIntervals.RefreshAsync(db, id, CancellationToken.None);
            }
        }
        var board = $"shapesworld.object-count.{domain}.classification.accuracy";
        using (var pin = await platform.Api.PutAsJsonAsync($"/api/leaderboards/{board}/baseline", new { configurationHash = $"{domain}-weak" }))
            Assert.Equal(HttpStatusCode.NoContent, pin.StatusCode);

        var page = await platform.SignInAsync(platform.ViewerEmail);
        await page.GotoAsync("/leaderboards");
        // Click only once the circuit is up: a click on the prerendered list can be followed by the circuit rendering the
        // list again over the board page it navigated to.
        await InteractiveAsync(page);
        var boardRow = page.Locator("[data-testid='boards'] tbody tr").Filter(new() { HasText = domain });
        await Assertions.Expect(boardRow).ToContainTextAsync("3");
        await boardRow.Locator("a").ClickAsync();
        await page.WaitForURLAsync($"**/leaderboards/{board}");

        await Assertions.Expect(page.Locator("[data-testid='ranked-configuration']")).ToHaveTextAsync([$"{domain} strong", $"{domain} cheap", $"{domain} weak"]);
        await Assertions.Expect(page.Locator("[data-testid='rank']")).ToHaveTextAsync(["1", "2", "3"]);
        await Assertions.Expect(page.Locator("[data-testid='baseline']")).ToContainTextAsync($"Pinned baseline: {domain} weak");
        await Assertions.Expect(page.Locator("[data-testid='baseline']")).ToContainTextAsync("0.5100");
        var baselineRow = page.Locator("[data-testid='ranking'] tbody tr").Filter(new() { Has = page.Locator("[data-testid='baseline-chip']") });
        await Assertions.Expect(baselineRow).ToHaveCountAsync(1);
        await Assertions.Expect(baselineRow).ToContainTextAsync($"{domain} weak");
        await Assertions.Expect(page.Locator("[data-testid='ranking'] tbody tr").First).ToContainTextAsync("+0.3800");
        // Each entry carries its interval (seeds × examples from the stored predictions) and a rank range; the floor is a row.
        await Assertions.Expect(page.Locator("[data-testid='rank-range']")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("[data-testid='entry-score']").First).ToContainTextAsync("seeds × examples");
        await Assertions.Expect(page.Locator("[data-testid='floor-row']")).ToContainTextAsync("majority-class");
        await Assertions.Expect(page.Locator("[data-testid='floor-row']")).ToContainTextAsync("0.2500");
        // The score-against-parameters chart is drawn by the chart library (Plotly), with error bars for the intervals.
        await Assertions.Expect(page.Locator("[data-testid='pareto-chart'] .main-svg").First).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("[data-testid='pareto-chart'] .errorbar").First).ToBeAttachedAsync();
        await ShotAsync(page, "09-leaderboard");

        // The export buttons serve the signed-in user the same ranking, as CSV and as JSON.
        var csvHref = await page.Locator("[data-testid='export-csv']").GetAttributeAsync("href");
        var csv = await page.APIRequest.GetAsync(csvHref!);
        Assert.Equal(200, csv.Status);
        Assert.StartsWith("text/csv", csv.Headers["content-type"]);
        var lines = (await csv.TextAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("rank,configuration_hash,name", lines[0]);
        Assert.Contains("lower,upper,interval_method,rank_best,rank_worst,floor,at_floor", lines[0]);
        Assert.Equal([$"1,{domain}-strong", $"2,{domain}-cheap", $"3,{domain}-weak"], lines.Skip(1).Select(l => string.Join(',', l.Split(',').Take(2))));
        Assert.Contains(",true,", lines[3]);

        var jsonHref = await page.Locator("[data-testid='export-json']").GetAttributeAsync("href");
        var json = await page.APIRequest.GetAsync(jsonHref!);
        Assert.Equal(200, json.Status);
        var ranking = JsonDocument.Parse(await json.TextAsync()).RootElement;
        Assert.Equal([$"{domain}-strong", $"{domain}-cheap", $"{domain}-weak"],
            ranking.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("configurationHash").GetString()));
        Assert.Equal($"{domain}-weak", ranking.GetProperty("baseline").GetProperty("configurationHash").GetString());
    }
}
