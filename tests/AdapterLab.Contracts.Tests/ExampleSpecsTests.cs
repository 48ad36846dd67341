using AdapterLab.Contracts.Specs;

namespace AdapterLab.Contracts.Tests;

/// <summary>
/// The runnable examples (<c>examples/specs/*.json</c>) as a whole: each is valid; every named backbone one of them
/// trains on is registered by a pretrain example (nothing waits on a backbone no example produces); every kind, method
/// and setting the platform offers has an example; and <c>examples/README.md</c> lists each of them in its order.
/// </summary>
public sealed class ExampleSpecsTests
{
    private static IReadOnlyList<(string File, ExperimentSpec Spec)> Examples { get; } =
        Directory.GetFiles(Path.Combine(RepoPaths.Root, "examples", "specs"), "*.json").Order(StringComparer.Ordinal)
            .Select(f => (Path.GetFileName(f), SpecJson.Deserialize(File.ReadAllText(f)))).ToList();

    [Fact]
    public void Every_example_is_valid()
    {
        foreach (var (file, spec) in Examples)
            Assert.True(SpecValidator.Validate(spec).Count == 0, $"{file}: {string.Join("; ", SpecValidator.Validate(spec).Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"))}");
    }

    [Fact]
    public void Every_named_backbone_is_registered_by_a_pretrain_example()
    {
        var registered = Examples.Where(e => e.Spec.Kind == Kinds.Pretrain && e.Spec.Backbone.RegisterAs is not null)
            .ToDictionary(e => e.Spec.Backbone.RegisterAs!, e => e.Spec.Backbone.Preset);
        foreach (var (file, spec) in Examples.Where(e => e.Spec.Backbone.Source == BackboneSources.Named))
        {
            Assert.True(registered.TryGetValue(spec.Backbone.Name!, out var preset), $"{file} trains on '{spec.Backbone.Name}', which no pretrain example registers");
            Assert.Equal(preset, spec.Backbone.Preset);
        }
    }

    [Fact]
    public void Every_method_and_setting_has_an_example()
    {
        var methods = Examples.Select(e => e.Spec.Method.Name).ToHashSet();
        foreach (var method in Methods.Classification.Concat(Methods.Dense))
            Assert.True(methods.Contains(method), $"no example uses method {method}");
        var settings = Examples.Where(e => e.Spec.Kind == Kinds.Multitask).Select(e => e.Spec.Data.Setting).ToHashSet();
        foreach (var setting in new[] { Settings.Multitask, Settings.ZeroShotTaskTransfer, Settings.DomainAdaptation, Settings.DomainGeneralization })
            Assert.True(settings.Contains(setting), $"no multitask example uses setting {setting}");
    }

    [Fact]
    public void The_examples_readme_lists_every_example()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "examples", "README.md"));
        foreach (var (file, _) in Examples) Assert.Contains($"specs/{file}", readme);
    }
}
