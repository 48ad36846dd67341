using AdapterLab.Contracts.Specs;
using AdapterLab.Web.Dashboard;

namespace AdapterLab.Web.Tests;

public sealed class SpecDiffTests
{
    private static readonly ExperimentSpec Base = new SpecForm().ToSpec();

    [Fact]
    public void Identical_specs_have_no_differences() =>
        Assert.Empty(SpecDiff.Compute([SpecJson.Serialize(Base), SpecJson.Serialize(Base)]));

    [Fact]
    public void Only_the_fields_that_differ_are_listed_with_every_value()
    {
        var other = Base with { Training = Base.Training with { Seed = 7 }, Method = new MethodSpec { Name = Methods.AdaptFormer, Bottleneck = 16 } };
        var rows = SpecDiff.Compute([SpecJson.Serialize(Base), SpecJson.Serialize(other)]);
        Assert.Equal(["method.bottleneck", "method.name", "training.seed"], rows.Select(r => r.Path));
        var bottleneck = rows.Single(r => r.Path == "method.bottleneck");
        Assert.Equal([null, "16"], bottleneck.Values);
        Assert.Equal(["linear-probe", "adaptformer"], rows.Single(r => r.Path == "method.name").Values);
    }

    [Fact]
    public void Scalar_arrays_compare_as_one_value_and_object_arrays_element_by_element()
    {
        var rows = SpecDiff.Compute([
            """{"data":{"targetDomains":["fog","textured"]},"items":[{"a":1},{"a":2}]}""",
            """{"data":{"targetDomains":["fog"]},"items":[{"a":1},{"a":3}]}""",
        ]);
        Assert.Equal(["data.targetDomains", "items[1].a"], rows.Select(r => r.Path));
        Assert.Equal(["[fog, textured]", "[fog]"], rows[0].Values);
    }

    [Fact]
    public void Three_specs_list_a_field_when_any_one_differs()
    {
        var a = SpecJson.Serialize(Base);
        var c = SpecJson.Serialize(Base with { Priority = 5 });
        var row = Assert.Single(SpecDiff.Compute([a, a, c]));
        Assert.Equal("priority", row.Path);
        Assert.Equal(["0", "0", "5"], row.Values);
    }
}
