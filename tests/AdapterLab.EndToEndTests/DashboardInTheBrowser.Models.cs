using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using AdapterLab.IntegrationTests.Adaptation;
using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.Playwright;

namespace AdapterLab.EndToEndTests;

public sealed partial class DashboardInTheBrowser
{
    /// <summary>
    /// The model registry in the browser: an admin registers a trained adapter from its run page, a second version joins
    /// through the API, the model page lists both with their lineage, "try it" sends one uploaded image through both in
    /// one go and shows each one's answer side by side, a promotion moves the stage and lands in the history; a viewer
    /// tries it too but sees no stage buttons.
    /// </summary>
    [Fact]
    public async Task An_adapter_registered_from_its_run_page_is_tried_on_an_uploaded_image_and_promoted_on_its_model_page()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var backbone = await ImportGoldenBackboneAsync("golden-" + suffix);
        var ids = new List<Guid>();
        foreach (var method in new[] { "linear-probe", "lora" })
            ids.Add(await platform.SubmitAsync(new
            {
                specVersion = 1, name = $"registry {method}", kind = "adapt",
                backbone = new { preset = "vit-tiny-ci", source = "named", name = backbone },
                method = new { name = method },
                tasks = new[] { "classification" },
                data = new { labelFamily = "object-count", sourceDomain = "textured" },
                training = new { steps = 3, batchSize = 16 },
            }));
        foreach (var id in ids) await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(4));
        await platform.StartInferenceAsync();

        var model = "counter-" + suffix;
        var page = await platform.SignInAsync(platform.AdminEmail);
        await page.GotoAsync($"/experiments/{ids[0]}");
        await InteractiveAsync(page);
        await page.Locator("[data-testid=register-name]").FillAsync(model);
        await page.Locator("[data-testid=register]").ClickAsync();
        // The page re-reads the experiment's versions after the success message: allow for a loaded CI machine.
        await Assertions.Expect(page.Locator("[data-testid=registered-as]")).ToContainTextAsync($"{model} v1 (candidate)", new() { Timeout = 15_000 });
        using (var r = await platform.Api.PostAsJsonAsync("/api/models", new { name = model, experimentId = ids[1] }))
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);

        await page.GotoAsync("/models");
        await InteractiveAsync(page);
        await page.Locator("[data-testid=model-link]", new() { HasText = model }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/models/{model}$"));
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=model-version-row]")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("[data-testid=model-versions]")).ToContainTextAsync("accuracy");

        var rgb = Enumerable.Range(0, 32 * 32 * 3).Select(i => (byte)(i * 37 % 251)).ToArray();
        await page.Locator("[data-testid=try-it-file]").SetInputFilesAsync(new FilePayload { Name = "mine.png", MimeType = "image/png", Buffer = TinyPng.Encode(rgb, 32, 32) });
        await Assertions.Expect(page.Locator("[data-testid=try-it-result]")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("[data-testid=try-it-predicted]")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("[data-testid=try-it-source]")).ToContainTextAsync("upload: mine.png");
        await ShotAsync(page, "model-try-it");

        // Promote v1 (the row of v1 is the second: newest first).
        await page.Locator("[data-testid=model-version-row]").Nth(1).Locator("[data-testid=stage-production]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=model-version-row]").Nth(1).Locator("[data-testid=model-stage]")).ToHaveTextAsync("production");
        await Assertions.Expect(page.Locator("[data-testid=model-history-row]")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("[data-testid=model-history]")).ToContainTextAsync("candidate → production");
        var production = await platform.Api.GetFromJsonAsync<JsonElement>($"/api/models/{model}/versions/production");
        Assert.Equal(1, production.GetProperty("version").GetInt32());

        var viewer = await platform.SignInAsync(platform.ViewerEmail);
        await viewer.GotoAsync($"/models/{model}");
        await InteractiveAsync(viewer);
        await Assertions.Expect(viewer.Locator("[data-testid=model-version-row]")).ToHaveCountAsync(2);
        Assert.Equal(0, await viewer.Locator("[data-testid^=stage-]").CountAsync());
        await viewer.Locator("[data-testid=try-it-file]").SetInputFilesAsync(new FilePayload { Name = "theirs.png", MimeType = "image/png", Buffer = TinyPng.Encode(rgb, 32, 32) });
        await Assertions.Expect(viewer.Locator("[data-testid=try-it-predicted]")).ToHaveCountAsync(2);
        await viewer.Context.CloseAsync();
        await page.Context.CloseAsync();
    }

    /// <summary>A dense multitask model on its model page: "try it" shows every task's map for an uploaded image, and its metrics list with their floors.</summary>
    [Fact]
    public async Task A_registered_multitask_model_shows_every_tasks_map_for_an_uploaded_image()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var backbone = await ImportGoldenBackboneAsync("dense-golden-" + suffix);
        var id = await platform.SubmitAsync(new
        {
            specVersion = 1, name = "registry dense", kind = "multitask",
            backbone = new { preset = "vit-tiny-ci", source = "named", name = backbone },
            method = new { name = "vtagml", adapterBlocks = 1 },
            tasks = new[] { "segmentation", "depth", "normals", "edges" },
            data = new { setting = "multitask", trainSize = 16, validationSize = 4, testSize = 4 },
            training = new { steps = 3, batchSize = 4 },
        });
        await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(4));
        var model = "scenes-" + suffix;
        using (var r = await platform.Api.PostAsJsonAsync("/api/models", new { name = model, experimentId = id }))
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        await platform.StartInferenceAsync();

        var page = await platform.SignInAsync(platform.AdminEmail);
        await page.GotoAsync($"/models/{model}");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=model-versions]")).ToContainTextAsync("vtagml");
        var rgb = Enumerable.Range(0, 40 * 40 * 3).Select(i => (byte)(i * 29 % 251)).ToArray();
        await page.Locator("[data-testid=try-it-file]").SetInputFilesAsync(new FilePayload { Name = "scene.png", MimeType = "image/png", Buffer = TinyPng.Encode(rgb, 40, 40) });
        var maps = page.Locator("[data-testid=try-it-map]");
        await Assertions.Expect(maps).ToHaveCountAsync(4);
        foreach (var task in new[] { "segmentation", "depth", "normals", "edges" })
            await Assertions.Expect(maps.Locator($"img[alt={task}]")).ToHaveAttributeAsync("src", new Regex("^data:image/png;base64,"));
        await ShotAsync(page, "model-try-it-dense");
    }

    /// <summary>The golden <c>vit-tiny-ci</c> weights imported as a named backbone.</summary>
    private async Task<string> ImportGoldenBackboneAsync(string name)
    {
        var golden = Path.GetFullPath(Path.Combine(RepoRoot.Path, "..", "shared", "data", "vit-golden", "vit-tiny-ci-f32.safetensors"));
        using var content = new ByteArrayContent(await File.ReadAllBytesAsync(golden));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var imported = await platform.Api.PostAsync($"/api/backbones?name={name}&preset=vit-tiny-ci", content);
        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        return name;
    }
}
