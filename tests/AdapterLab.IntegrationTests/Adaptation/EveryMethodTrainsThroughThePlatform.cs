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
        // The fixture's data root (Platform:DataRoot = Agent:DataRoot); Settings is the fixture's own configuration.
        var settings = (Dictionary<string, string?>)typeof(PlatformFixture).GetProperty("Settings", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(platform)!;
        var dataRoot = settings["Platform:DataRoot"]!;
        Directory.CreateDirectory(dataRoot);
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
