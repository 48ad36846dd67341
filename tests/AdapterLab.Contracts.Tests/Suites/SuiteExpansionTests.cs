using System.Text.Json.Nodes;
using AdapterLab.Contracts.Suites;

namespace AdapterLab.Contracts.Tests.Suites;

public sealed class SuiteExpansionTests
{
    private static SuiteDefinition Suite(string json) => SuiteDefinition.Parse(json);

    private const string Adapt = """
        "kind": "adapt", "backbone": { "preset": "vit-tiny-ci", "source": "named", "name": "bb" }, "method": { "name": "linear-probe" },
        "data": { "dataset": "shapesworld", "labelFamily": "object-count", "sourceDomain": "textured", "trainSize": 64, "validationSize": 32, "testSize": 32 },
        "training": { "steps": 5, "batchSize": 16 }
        """;

    [Fact]
    public void A_grid_expands_into_every_combination_times_every_seed()
    {
        var suite = Suite($$"""
            { "name": "g", "seeds": [1, 2],
              "experiments": [ { "name": "e", "spec": { {{Adapt}} },
                "grid": { "method": [ { "name": "lora", "rank": 4 }, { "name": "bitfit" }, { "name": "linear-probe" } ],
                          "training.learningRate": [0.001, 0.01] } } ] }
            """);
        var expanded = SuiteExpansion.Expand(suite);
        Assert.Equal(3 * 2 * 2, expanded.Count);
        Assert.Equal(6, expanded.Select(x => (x.Spec.Method.Name, x.Spec.Training.LearningRate)).Distinct().Count());
        Assert.All(expanded, x => Assert.Equal("g", x.Spec.Suite));
        Assert.Equal([1, 2], expanded.Select(x => x.Seed).Distinct().Order());
        Assert.All(expanded, x => Assert.Equal(x.Seed, x.Spec.Training.Seed));
        var lora = expanded.First(x => x.Spec.Method.Name == "lora");
        Assert.Equal(4, lora.Spec.Method.Rank);
        Assert.Contains("method=lora(rank:4)", lora.Label);
        Assert.Contains("training.learningRate=0.001", lora.Label);
    }

    [Fact]
    public void Expansion_is_deterministic_and_the_last_grid_key_varies_fastest()
    {
        var suite = Suite($$"""{ "name": "g", "experiments": [ { "spec": { {{Adapt}} }, "grid": { "training.steps": [1, 2], "training.batchSize": [8, 16] } } ] }""");
        var a = SuiteExpansion.Expand(suite).Select(x => (x.Spec.Training.Steps, x.Spec.Training.BatchSize)).ToList();
        var b = SuiteExpansion.Expand(suite).Select(x => (x.Spec.Training.Steps, x.Spec.Training.BatchSize)).ToList();
        Assert.Equal(a, b);
        Assert.Equal([(1, 8), (1, 16), (2, 8), (2, 16)], a.Select(x => (x.Steps!.Value, x.BatchSize)));
    }

    [Fact]
    public void Defaults_merge_under_entries_objects_by_key_and_arrays_whole()
    {
        var defaults = JsonNode.Parse("""{ "data": { "trainSize": 10, "targetDomains": ["fog"] }, "tags": ["a"] }""")!.AsObject();
        var merged = SuiteExpansion.Merge(defaults, JsonNode.Parse("""{ "data": { "testSize": 5, "targetDomains": ["synthetic"] } }""")!.AsObject());
        Assert.Equal(10, merged["data"]!["trainSize"]!.GetValue<int>());
        Assert.Equal(5, merged["data"]!["testSize"]!.GetValue<int>());
        Assert.Equal("synthetic", Assert.Single(merged["data"]!["targetDomains"]!.AsArray())!.GetValue<string>());
        Assert.Equal("a", merged["tags"]![0]!.GetValue<string>());
    }

    [Fact]
    public void An_entry_may_carry_its_own_seeds()
    {
        var suite = Suite($$"""{ "name": "g", "seeds": [1, 2, 3], "experiments": [ { "seeds": [7], "spec": { {{Adapt}} } }, { "spec": { {{Adapt}} } } ] }""");
        var expanded = SuiteExpansion.Expand(suite);
        Assert.Equal(4, expanded.Count);
        Assert.Equal(7, expanded[0].Seed);
    }

    [Fact]
    public void Invalid_specs_and_grid_paths_are_reported_by_path()
    {
        var suite = Suite($$"""
            { "name": "g", "experiments": [
                { "spec": { {{Adapt}} }, "grid": { "method": [ { "name": "no-such-method" } ] } },
                { "spec": { {{Adapt}} }, "grid": { "kind.deeper": [1] } } ] }
            """);
        var ex = Assert.Throws<SuiteDefinitionException>(() => SuiteExpansion.Expand(suite));
        Assert.Contains(ex.Errors.Keys, k => k.StartsWith("experiments[0]") && k.Contains("method"));
        Assert.Contains("experiments[1].grid", ex.Errors.Keys);
    }

    [Fact]
    public void A_bad_name_or_no_experiments_is_refused()
    {
        var ex = Assert.Throws<SuiteDefinitionException>(() => SuiteExpansion.Expand(Suite("""{ "name": "Bad Name", "experiments": [] }""")));
        Assert.Contains("name", ex.Errors.Keys);
        Assert.Contains("experiments", ex.Errors.Keys);
    }

    [Fact]
    public void Configurations_differ_by_grid_point_not_by_seed()
    {
        var suite = Suite($$"""{ "name": "g", "seeds": [1, 2], "experiments": [ { "spec": { {{Adapt}} }, "grid": { "method": [ { "name": "bitfit" }, { "name": "linear-probe" } ] } } ] }""");
        var hashes = SuiteExpansion.Expand(suite)
            .Select(x => Specs.SpecJson.Hash(x.Spec with { Training = x.Spec.Training with { Seed = 0 } })).ToList();
        Assert.Equal(2, hashes.Distinct().Count());
    }

    [Fact]
    public void A_sweep_entry_merges_its_template_over_the_defaults_and_is_planned()
    {
        var suite = Suite($$"""
            { "name": "s", "defaults": { {{Adapt}} }, "sweeps": [
                { "name": "lr", "template": { "training": { "steps": 60, "optimizer": "adamw" } },
                  "space": { "training.learningRate": { "type": "log-uniform", "low": 1e-4, "high": 1e-1 } },
                  "objective": { "metric": "accuracy" }, "budget": { "maxTrials": 9 }, "algorithm": "asha" } ] }
            """);
        Assert.Empty(SuiteExpansion.Expand(suite));
        var sweep = Assert.Single(SuiteExpansion.ExpandSweeps(suite));
        Assert.Equal("lr", sweep.Entry);
        var training = sweep.Definition.Template["training"]!;
        Assert.Equal(60, training["steps"]!.GetValue<int>());
        Assert.Equal(16, training["batchSize"]!.GetValue<int>());
        Assert.Equal("linear-probe", sweep.Definition.Template["method"]!["name"]!.GetValue<string>());
        Assert.Equal([7, 21, 60], AdapterLab.Contracts.Sweeps.SweepPlan.From(sweep.Definition).Rungs);
    }

    [Fact]
    public void Bad_sweep_entries_are_named_by_index_and_field()
    {
        const string Lr = """ "space": { "training.learningRate": { "type": "log-uniform", "low": 1e-4, "high": 1e-1 } }, "objective": { "metric": "accuracy" }, "budget": { "maxTrials": 2 } """;
        var suite = Suite($$"""
            { "name": "s", "defaults": { {{Adapt}} }, "sweeps": [
                { "name": "a", {{Lr}}, "algorithm": "annealing" },
                { "name": "a", {{Lr}}, "algorithm": "random" },
                { "name": "b", {{Lr}}, "algorithm": "random", "colour": "red" },
                { "name": "c", "space": {}, "objective": { "metric": "accuracy" }, "budget": { "maxTrials": 2 }, "algorithm": "random" } ] }
            """);
        var ex = Assert.Throws<SuiteDefinitionException>(() => SuiteExpansion.ExpandSweeps(suite));
        Assert.Contains("sweeps[0].algorithm", ex.Errors.Keys);
        Assert.Contains("sweeps[1].name", ex.Errors.Keys);
        Assert.Contains("sweeps[2]", ex.Errors.Keys);
        Assert.Contains("sweeps[3].space", ex.Errors.Keys);
        // Saving runs the same checks: a suite with a bad sweep does not expand.
        Assert.Throws<SuiteDefinitionException>(() => SuiteExpansion.Expand(suite));
        var many = Suite($$"""{ "name": "s", "defaults": { {{Adapt}} }, "sweeps": [ {{string.Join(", ", Enumerable.Range(0, 21).Select(i => "{ \"name\": \"w" + i + "\", " + Lr + ", \"algorithm\": \"random\" }"))}} ] }""");
        Assert.Contains("sweeps", Assert.Throws<SuiteDefinitionException>(() => SuiteExpansion.ExpandSweeps(many)).Errors.Keys);
    }
}
