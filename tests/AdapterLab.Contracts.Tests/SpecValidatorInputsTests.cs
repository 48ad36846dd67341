using AdapterLab.Contracts.Specs;

namespace AdapterLab.Contracts.Tests;

/// <summary>Every field of every spec, however it arrived: no control characters, bounded strings and lists, finite numbers.</summary>
public sealed class SpecValidatorInputsTests
{
    private static ExperimentSpec Valid() => SpecJson.Deserialize(File.ReadAllText(Path.Combine(RepoRoot(), "examples", "specs", "adapt-adaptformer.json")));

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) dir = dir.Parent;
        return dir!.FullName;
    }

    [Fact]
    public void The_example_is_valid() => Assert.Empty(SpecValidator.Validate(Valid()));

    [Theory]
    [InlineData("nul\u0000", "name")]
    [InlineData("line\nbreak", "name")]
    [InlineData("escape\u001b[31m", "name")]
    public void Control_characters_in_any_string_are_refused_naming_the_field(string value, string field)
    {
        Assert.Contains(field, SpecValidator.Validate(Valid() with { Name = value }).Keys);
        var spec = Valid();
        Assert.Contains("tags[1]", SpecValidator.Validate(spec with { Tags = ["ok", value] }).Keys);
        Assert.Contains("data.targetDomains[0]", SpecValidator.Validate(spec with { Data = spec.Data with { TargetDomains = [value] } }).Keys);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Every_number_must_be_finite(double value)
    {
        var spec = Valid();
        Assert.Contains("method.dropout", SpecValidator.Validate(spec with { Method = spec.Method with { Dropout = value } }).Keys);
        Assert.Contains("method.scale", SpecValidator.Validate(spec with { Method = spec.Method with { Scale = value } }).Keys);
        var groups = new Dictionary<string, ParameterGroupSpec> { ["head"] = new() { LearningRate = value } };
        Assert.Contains("training.parameterGroups.head.learningRate", SpecValidator.Validate(spec with { Training = spec.Training with { ParameterGroups = groups } }).Keys);
    }

    [Fact]
    public void Lists_and_strings_are_bounded()
    {
        var spec = Valid();
        var errors = SpecValidator.Validate(spec with { Method = spec.Method with { Layers = Enumerable.Range(0, 100_000).ToList() } });
        Assert.Contains("method.layers", errors.Keys);
        Assert.Contains("data.path", SpecValidator.Validate(spec with { Data = spec.Data with { Path = new string('a', 5_000) } }).Keys);
    }
}

public sealed class SpecValidatorNullsTests
{
    [Theory]
    [InlineData("tasks")]
    [InlineData("backbone")]
    [InlineData("method")]
    [InlineData("data")]
    [InlineData("training")]
    public void An_explicit_null_for_a_required_part_is_a_400_naming_it_not_a_crash(string field)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse("""{"specVersion":1,"kind":"adapt","backbone":{"preset":"vit-tiny-ci","source":"random"},"method":{"name":"linear-probe"},"tasks":["classification"],"data":{"labelFamily":"largest-shape"},"training":{"steps":2}}""")!.AsObject();
        json[field] = null;
        var spec = SpecJson.TryParse(json.ToJsonString(), out var parseErrors);
        if (spec is null) { Assert.NotEmpty(parseErrors); return; }
        Assert.Contains(field, SpecValidator.Validate(spec).Keys);
    }
}
