using AdapterLab.Contracts.Specs;

namespace AdapterLab.Contracts.Tests;

/// <summary>A spec that does not parse says why in the spec's terms, at the field — never a .NET type or member name.</summary>
public sealed class SpecJsonMessagesTests
{
    [Theory]
    [InlineData("""{"kind":"adapt","training":{"steps":"ten"}}""", "training.steps", "must be a whole number")]
    [InlineData("""{"kind":"adapt","training":{"learningRate":"fast"}}""", "training.learningRate", "must be a number")]
    [InlineData("""{"kind":"adapt","tasks":"classification"}""", "tasks", "must be a list")]
    [InlineData("""{"kind":"adapt","data":[1,2]}""", "data", "must be an object")]
    [InlineData("""{"kind":"adapt","training":{"dryRun":"yes"}}""", "training.dryRun", "must be true or false")]
    [InlineData("""{"kind": adapt}""", "kind", "is not valid JSON")]
    public void Parse_errors_name_the_field_and_what_it_must_be(string json, string field, string message)
    {
        Assert.Null(SpecJson.TryParse(json, out var errors));
        var (key, value) = Assert.Single(errors);
        Assert.Equal(field, key);
        Assert.StartsWith(message, value.Single());
        Assert.DoesNotContain("System.", value.Single());
        Assert.DoesNotContain("AdapterLab.", value.Single());
    }
}
