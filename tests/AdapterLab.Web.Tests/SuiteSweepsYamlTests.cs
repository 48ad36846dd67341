using AdapterLab.Contracts.Suites;
using AdapterLab.Web.Suites;

namespace AdapterLab.Web.Tests;

/// <summary>A suite file's <c>sweeps:</c> entries, written in YAML as the README shows them, expand to planned sweeps.</summary>
public sealed class SuiteSweepsYamlTests
{
    [Fact]
    public void The_readme_example_of_a_sweep_inside_a_suite_parses_and_plans()
    {
        const string yaml = """
            name: sweeps-in-yaml
            defaults:
              kind: adapt
              backbone: { preset: vit-tiny-ci, source: named, name: shapes-stream }
              data: { labelFamily: object-count, sourceDomain: textured }
              training: { batchSize: 64 }
            experiments:
              - name: probe
                spec: { method: { name: linear-probe }, training: { steps: 300 } }
            sweeps:
              - name: adaptformer-lr
                template: { method: { name: adaptformer }, training: { steps: 600, optimizer: adamw } }
                space: { training.learningRate: { type: log-uniform, low: 1.0e-4, high: 1.0e-2 } }
                objective: { metric: accuracy }
                budget: { maxTrials: 27 }
                algorithm: asha
                confirmSeeds: 3
            """;
        var suite = SuiteFiles.Parse(yaml);
        Assert.Single(SuiteExpansion.Expand(suite));
        var sweep = Assert.Single(SuiteExpansion.ExpandSweeps(suite));
        Assert.Equal("adaptformer-lr", sweep.Entry);
        Assert.Equal(3, sweep.Definition.ConfirmSeeds);
        Assert.Equal(64, sweep.Definition.Template["training"]!["batchSize"]!.GetValue<int>());
        Assert.Equal([67, 201, 600], AdapterLab.Contracts.Sweeps.SweepPlan.From(sweep.Definition).Rungs);
    }

    [Fact]
    public void The_weekly_suite_tunes_adaptformers_learning_rate_with_a_sweep()
    {
        var weekly = SuiteFiles.BuiltIn().Single(f => f.File == "adapters-weekly.yaml");
        var suite = SuiteFiles.Parse(weekly.Text);
        var sweep = Assert.Single(SuiteExpansion.ExpandSweeps(suite));
        Assert.Equal("weekly-adaptformer-lr", sweep.Entry);
        Assert.Equal("weekly-vit-lab-s", sweep.Definition.Template["backbone"]!["name"]!.GetValue<string>());
        Assert.Equal("vit-lab-s", sweep.Definition.Template["backbone"]!["preset"]!.GetValue<string>());
        Assert.Equal([67, 201, 600], AdapterLab.Contracts.Sweeps.SweepPlan.From(sweep.Definition).Rungs);
    }
}
