using AdapterLab.Contracts.Specs;

namespace AdapterLab.Contracts.Tests;

/// <summary>
/// Every <c>examples/specs/invalid/*.json</c> must be rejected, at the field its sibling <c>&lt;name&gt;.expected</c> names
/// (the API integration tests send the same files).
/// </summary>
public sealed class InvalidExampleSpecTests
{
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(RepoPaths.InvalidSpecs, "*.json").Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(f));
        return data;
    }

    [Fact]
    public void There_are_invalid_examples_and_each_names_its_field()
    {
        var files = Directory.GetFiles(RepoPaths.InvalidSpecs, "*.json");
        Assert.True(files.Length >= 10, $"expected at least 10 invalid examples in {RepoPaths.InvalidSpecs}");
        foreach (var f in files) Assert.True(File.Exists(Path.ChangeExtension(f, ".expected")), $"{Path.GetFileName(f)} has no .expected file");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Invalid_example_is_rejected_at_its_expected_field(string file)
    {
        var path = Path.Combine(RepoPaths.InvalidSpecs, file);
        var expected = File.ReadAllText(Path.ChangeExtension(path, ".expected")).Trim();
        var spec = SpecJson.TryParse(File.ReadAllText(path), out var errors);
        if (spec is not null) errors = SpecValidator.Validate(spec);
        Assert.True(errors.ContainsKey(expected),
            $"{file}: expected an error at '{expected}', got: {string.Join("; ", errors.Select(kv => $"{kv.Key}: {string.Join(", ", kv.Value)}"))}");
    }
}
