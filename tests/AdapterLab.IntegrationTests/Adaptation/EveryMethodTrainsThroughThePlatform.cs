using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;
using AdapterLab.IntegrationTests.Infrastructure;

namespace AdapterLab.IntegrationTests.Adaptation;

/// <summary>
/// Every classification method, from its example spec in <c>examples/specs/adapt-*.json</c>, trains a few steps end to
/// end (HTTP → orchestrator → agent → TorchSharp) on the shared pretrained backbone; and folder-dataset paths that
/// leave the data root are refused at submit time.
/// </summary>
[Collection(SharedPlatformCollection.Name)]
public sealed class EveryMethodTrainsThroughThePlatform(SharedPlatform platform)
{
    public static TheoryData<string> Methods => new(AdapterLab.Contracts.Specs.Methods.Classification);

    /// <summary>The example spec on the shared backbone, capped to a few steps on a few dozen images.</summary>
    private JsonObject ExampleSpec(string method)
    {
        var path = Path.Combine(RepoRoot.Path, "examples", "specs", $"adapt-{method}.json");
        var spec = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        spec["backbone"]!["name"] = platform.BackboneName;
        var data = spec["data"]!.AsObject();
        data["trainSize"] = 48;
        data["validationSize"] = 16;
        data["testSize"] = 16;
        var training = spec["training"]!.AsObject();
        training.Remove("epochs");
        training["steps"] = 3;
        training["batchSize"] = 16;
        training["evalInterval"] = 0;
        training["checkpointInterval"] = 0;
        training.Remove("warmupSteps");
        return spec;
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task Trains_from_its_example_spec(string method)
    {
        var json = ExampleSpec(method);
        var spec = SpecJson.Deserialize(json.ToJsonString());
        Assert.Equal(method, spec.Method.Name);
        Assert.Empty(SpecValidator.Validate(spec));

        var id = await platform.SubmitAsync(json);
        var done = await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(3));

        var count = ModelCatalogue.Count(spec);
        Assert.Equal(count.Trainable, done.GetProperty("trainableParameters").GetInt64());
        Assert.Equal(count.Total, done.GetProperty("totalParameters").GetInt64());
        var results = done.GetProperty("results").EnumerateArray().ToList();
        var domains = new[] { spec.Data.SourceDomain }.Concat(spec.Data.TargetDomains).Distinct().ToList();
        Assert.Equal(2 * domains.Count, results.Count); // validation + test per evaluated domain
        Assert.All(results, r => Assert.InRange(r.GetProperty("value").GetDouble(), 0, 1));
        Assert.False(string.IsNullOrEmpty(done.GetProperty("outputBlob").GetString()));
    }

    [Fact]
    public async Task Folder_paths_outside_the_data_root_are_rejected_with_400()
    {
        // The fixture's data root (Platform:DataRoot = Agent:DataRoot, read from the fixture's own settings).
        var dataRoot = DataRoot();
        var outside = Path.Combine(Path.GetTempPath(), "adapterlab-tests", "outside-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(outside, "a"));
        Directory.CreateDirectory(Path.Combine(outside, "b"));
        var link = "escape-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateSymbolicLink(Path.Combine(dataRoot, link), outside);

        foreach (var path in new[] { "../elsewhere", "/etc", link, link + "/a", "does-not-exist" })
        {
            var spec = FolderSpec(path);
            using var response = await platform.Api.PostAsJsonAsync("/api/experiments", spec, JsonSerializerOptions.Web);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode} {body}");
            var errors = JsonDocument.Parse(body).RootElement.GetProperty("errors");
            Assert.True(errors.TryGetProperty("data.path", out _), $"{path}: {body}");
        }
    }

    [Fact]
    public async Task A_folder_dataset_under_the_data_root_trains_through_the_platform()
    {
        var dataRoot = DataRoot();
        var dataset = "shapes-" + Guid.NewGuid().ToString("N")[..8];
        var random = new Random(7);
        foreach (var (name, colour) in new[] { ("dark", (byte)40), ("light", (byte)210) })
        {
            Directory.CreateDirectory(Path.Combine(dataRoot, dataset, name));
            for (int i = 0; i < 40; i++)
            {
                int w = 16 + random.Next(32), h = 16 + random.Next(32);
                var rgb = Enumerable.Range(0, w * h * 3).Select(_ => (byte)Math.Clamp(colour + random.Next(-30, 31), 0, 255)).ToArray();
                File.WriteAllBytes(Path.Combine(dataRoot, dataset, name, $"{i:D2}.png"), TinyPng.Encode(rgb, w, h));
            }
        }
        var spec = new
        {
            specVersion = 1,
            name = "folder linear probe",
            kind = "adapt",
            backbone = new { preset = "vit-tiny-ci", source = "named", name = platform.BackboneName },
            method = new { name = "linear-probe" },
            tasks = new[] { "classification" },
            data = new { dataset = "folder", path = dataset },
            training = new { steps = 4, batchSize = 16 },
        };
        var id = await platform.SubmitAsync(spec);
        var done = await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(3));
        Assert.Equal(2 * 96 + 2, done.GetProperty("trainableParameters").GetInt64()); // head over the two class folders
        Assert.Equal(["test/" + dataset, "validation/" + dataset],
            done.GetProperty("results").EnumerateArray().Select(r => $"{r.GetProperty("split").GetString()}/{r.GetProperty("domain").GetString()}").Order());

        // A corrupt image is not skipped: the experiment fails and says which file.
        File.WriteAllBytes(Path.Combine(dataRoot, dataset, "dark", "broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        var broken = await platform.SubmitAsync(spec);
        var failed = await platform.WaitForStatusAsync(broken, "Failed", TimeSpan.FromMinutes(3));
        Assert.Contains("dark/broken.png", failed.GetProperty("failureReason").GetString());
    }

    private string DataRoot()
    {
        var root = platform.Settings["Platform:DataRoot"]!;
        Directory.CreateDirectory(root);
        return root;
    }

    private static object FolderSpec(string path) => new
    {
        specVersion = 1,
        name = "folder escape",
        kind = "adapt",
        backbone = new { preset = "vit-tiny-ci", source = "random" },
        method = new { name = "linear-probe" },
        tasks = new[] { "classification" },
        data = new { dataset = "folder", path },
        training = new { steps = 2, batchSize = 8 },
    };
}
