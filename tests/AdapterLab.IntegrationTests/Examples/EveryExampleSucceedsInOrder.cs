using System.Text.Json.Nodes;
using AdapterLab.IntegrationTests.Infrastructure;

namespace AdapterLab.IntegrationTests.Examples;

/// <summary>
/// Every runnable example, in the order of <c>examples/README.md</c> (pretrains first, each registering the backbone the
/// later ones train on), reaches Succeeded through the platform. The test override: steps capped at 2 and image counts
/// at a few dozen (evaluation and checkpoints off), and each registered backbone name gets this run's suffix so the
/// examples can run beside other tests; nothing else is changed.
/// </summary>
[Collection(SharedPlatformCollection.Name)]
public sealed class EveryExampleSucceedsInOrder(SharedPlatform platform)
{
    private static JsonObject Capped(string file, string suffix)
    {
        var spec = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoRoot.Path, "examples", "specs", file)))!.AsObject();
        var backbone = spec["backbone"]!.AsObject();
        if (backbone["registerAs"] is { } register) backbone["registerAs"] = register.GetValue<string>() + suffix;
        if (backbone["name"] is { } name) backbone["name"] = name.GetValue<string>() + suffix;
        var dense = spec["kind"]!.GetValue<string>() == "multitask";
        var data = spec["data"]!.AsObject();
        if (data["stream"] is null) data["trainSize"] = dense ? 16 : 48; // a stream has no training set to size
        data["validationSize"] = 8;
        data["testSize"] = 8;
        var training = spec["training"]!.AsObject();
        if (spec["kind"]!.GetValue<string>() == "evaluate") return spec;
        training["steps"] = 2;
        training["batchSize"] = 8;
        training["evalInterval"] = 0;
        training["checkpointInterval"] = 0;
        training.Remove("warmupSteps");
        return spec;
    }

    [Fact]
    public async Task Every_example_succeeds_when_submitted_in_order()
    {
        var readme = File.ReadAllText(Path.Combine(RepoRoot.Path, "examples", "README.md"));
        var order = System.Text.RegularExpressions.Regex.Matches(readme, @"\[`specs/([a-z0-9-]+\.json)`\]").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Equal(Directory.GetFiles(Path.Combine(RepoRoot.Path, "examples", "specs"), "*.json").Length, order.Count);
        var suffix = "-" + Guid.NewGuid().ToString("N")[..6];
        // As ./platform up does: the example folder dataset inside the data root.
        CopyDirectory(Path.Combine(RepoRoot.Path, "examples", "data", "stripes"), Path.Combine(platform.Settings["Platform:DataRoot"]!, "examples", "stripes"));
        foreach (var file in order)
        {
            var id = await platform.SubmitAsync(Capped(file, suffix));
            await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(3));
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)), overwrite: true);
    }
}
