using AdapterLab.Contracts.Specs;

namespace AdapterLab.Contracts.Tests.Suites;

/// <summary>The repository's built-in suite files exist (the web embeds them; SuiteFiles parses them — tested in integration).</summary>
public sealed class BuiltInSuiteFilesTests
{
    [Theory]
    [InlineData("adapters-smoke")]
    [InlineData("adapters-nightly")]
    [InlineData("adapters-weekly")]
    public void The_built_in_suite_file_exists(string name) =>
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "suites", name + ".yaml")));

    [Fact]
    public void Smoke_covers_every_classification_method()
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Root, "suites", "adapters-smoke.yaml"));
        foreach (var method in Methods.Classification) Assert.Contains($"name: {method} }}", text);
    }
}
