using AdapterLab.Contracts.Specs;

namespace AdapterLab.Contracts.Tests;

public sealed class SpecValidatorTests
{
    [Fact]
    public void A_pretrain_spec_is_valid() => Assert.Empty(SpecValidator.Validate(SpecSamples.Pretrain));

    [Fact]
    public void A_linear_probe_spec_is_valid() => Assert.Empty(SpecValidator.Validate(SpecSamples.LinearProbe));

    [Fact]
    public void An_adaptformer_spec_is_valid() => Assert.Empty(SpecValidator.Validate(SpecSamples.AdaptFormer()));

    [Fact]
    public void A_valid_spec_parses_from_json_and_validates()
    {
        var spec = SpecJson.TryParse(SpecSamples.LinearProbeJson, out var errors);
        Assert.Empty(errors);
        Assert.NotNull(spec);
        Assert.Equal(3, spec.Training.Seed);
        Assert.Empty(SpecValidator.Validate(spec));
    }

    public static TheoryData<string, string> BrokenFields => new()
    {
        { "specVersion", "version" },
        { "kind", "kind" },
        { "backbone.preset", "preset" },
        { "backbone.source", "source" },
        { "backbone.name", "named-without-name" },
        { "backbone.registerAs", "register-on-adapt" },
        { "method.name", "method-for-wrong-kind" },
        { "method.layers", "layers-out-of-range" },
        { "method.bottleneck", "bottleneck-zero" },
        { "data.labelFamily", "label-family" },
        { "data.sourceDomain", "source-domain" },
        { "data.targetDomains[1]", "target-domain" },
        { "tasks", "dense-task-on-adapt" },
        { "training.steps", "steps-and-epochs" },
        { "training.batchSize", "batch" },
        { "training.learningRate", "learning-rate" },
        { "training.warmupSteps", "warmup" },
        { "training.precision", "precision" },
        { "retry.maxAttempts", "retry" },
        { "resources.pool", "pool" },
        { "priority", "priority" },
        { "tags[0]", "blank-tag" },
        { "data.shuffleTargets", "shuffle-targets-on-classification" },
    };

    [Theory]
    [MemberData(nameof(BrokenFields))]
    public void Each_bad_field_is_reported_under_its_path(string field, string breakage)
    {
        var ok = SpecSamples.AdaptFormer();
        var spec = breakage switch
        {
            "version" => ok with { SpecVersion = 99 },
            "kind" => ok with { Kind = "dance" },
            "preset" => ok with { Backbone = ok.Backbone with { Preset = "vit-huge-dream" } },
            "source" => ok with { Backbone = ok.Backbone with { Source = "ether", Name = null } },
            "named-without-name" => ok with { Backbone = ok.Backbone with { Name = null } },
            "register-on-adapt" => ok with { Backbone = ok.Backbone with { RegisterAs = "mine" } },
            "method-for-wrong-kind" => SpecSamples.Pretrain with { Method = new MethodSpec { Name = Methods.LinearProbe } },
            "layers-out-of-range" => ok with { Method = ok.Method with { Layers = [0, 7] } },
            "bottleneck-zero" => ok with { Method = ok.Method with { Bottleneck = 0 } },
            "label-family" => ok with { Data = ok.Data with { LabelFamily = "colour-of-sky" } },
            "source-domain" => ok with { Data = ok.Data with { SourceDomain = "mars" } },
            "target-domain" => ok with { Data = ok.Data with { TargetDomains = ["fog", "underwater"] } },
            "dense-task-on-adapt" => ok with { Tasks = ["depth"] },
            "steps-and-epochs" => ok with { Training = ok.Training with { Epochs = 3 } },
            "batch" => ok with { Training = ok.Training with { BatchSize = 0 } },
            "learning-rate" => ok with { Training = ok.Training with { LearningRate = -1 } },
            "warmup" => ok with { Training = ok.Training with { WarmupSteps = 100 } },
            "precision" => ok with { Training = ok.Training with { Precision = "fp16" } },
            "retry" => ok with { Retry = new RetrySpec { MaxAttempts = 0 } },
            "pool" => ok with { Resources = new ResourcesSpec { Pool = "GPU Pool!" } },
            "priority" => ok with { Priority = 5000 },
            "blank-tag" => ok with { Tags = [" "] },
            "shuffle-targets-on-classification" => ok with { Data = ok.Data with { ShuffleTargets = true } },
            _ => throw new ArgumentOutOfRangeException(nameof(breakage)),
        };
        var errors = SpecValidator.Validate(spec);
        Assert.True(errors.ContainsKey(field), $"expected an error at '{field}', got: {Describe(errors)}");
    }

    [Theory]
    [InlineData("bottleneck")]
    [InlineData("scale")]
    [InlineData("promptTokens")]
    [InlineData("rank")]
    [InlineData("layers")]
    [InlineData("estimator")]
    public void Options_that_do_not_apply_to_the_method_are_rejected(string option)
    {
        var m = new MethodSpec { Name = Methods.LinearProbe };
        m = option switch
        {
            "bottleneck" => m with { Bottleneck = 8 },
            "scale" => m with { Scale = 0.1 },
            "promptTokens" => m with { PromptTokens = 5 },
            "rank" => m with { Rank = 4 },
            "layers" => m with { Layers = [0] },
            "estimator" => m with { Estimator = "troa" },
            _ => throw new ArgumentOutOfRangeException(nameof(option)),
        };
        var errors = SpecValidator.Validate(SpecSamples.LinearProbe with { Method = m });
        Assert.True(errors.ContainsKey($"method.{option}"), $"expected method.{option}, got: {Describe(errors)}");
        Assert.Contains("does not apply", errors[$"method.{option}"][0]);
    }

    [Fact]
    public void Prompt_tokens_apply_to_vpt_but_rank_does_not()
    {
        var spec = SpecSamples.LinearProbe with { Method = new MethodSpec { Name = Methods.VptDeep, PromptTokens = 5, Rank = 4 } };
        var errors = SpecValidator.Validate(spec);
        Assert.False(errors.ContainsKey("method.promptTokens"));
        Assert.True(errors.ContainsKey("method.rank"));
    }

    [Theory]
    [InlineData("""{ "kind": "adapt", "colour": "red" }""", "colour")]
    [InlineData("""{ "kind": "adapt", "backbone": { "preset": "vit-tiny-ci", "weights": "x" } }""", "backbone.weights")]
    [InlineData("""{ "kind": "adapt", "method": { "name": "lora", "rnak": 4 } }""", "method.rnak")]
    [InlineData("""{ "kind": "adapt", "training": { "steps": "many" } }""", "training.steps")]
    public void Unknown_or_mistyped_json_fields_are_rejected_with_their_path(string json, string path)
    {
        var spec = SpecJson.TryParse(json, out var errors);
        Assert.Null(spec);
        Assert.True(errors.ContainsKey(path), $"expected an error at '{path}', got: {Describe(errors)}");
    }

    [Fact]
    public void Equal_specs_hash_equal_and_the_seed_changes_the_hash()
    {
        var a = SpecSamples.LinearProbe;
        var b = SpecJson.Deserialize(SpecJson.Serialize(a));
        Assert.Equal(SpecJson.Hash(a), SpecJson.Hash(b));
        Assert.NotEqual(SpecJson.Hash(a), SpecJson.Hash(a with { Training = a.Training with { Seed = 2 } }));
    }

    [Fact]
    public void A_dry_run_is_refused_unless_the_platform_enables_it()
    {
        var dry = SpecSamples.Pretrain with { Training = SpecSamples.Pretrain.Training with { DryRun = true } };
        Assert.Contains("training.dryRun", SpecValidator.Validate(dry).Keys);
        Assert.Empty(SpecValidator.Validate(dry, allowDryRun: true));
        Assert.Empty(SpecValidator.Validate(SpecSamples.Pretrain with { Training = SpecSamples.Pretrain.Training with { DryRun = false } }));
    }

    [Fact]
    public void An_ordinary_spec_has_no_dry_run_field_so_its_hash_is_unchanged()
    {
        var json = SpecJson.Serialize(SpecSamples.LinearProbe);
        Assert.DoesNotContain("dryRun", json);
        Assert.Contains("\"dryRun\":true", SpecJson.Serialize(SpecSamples.LinearProbe with { Training = SpecSamples.LinearProbe.Training with { DryRun = true } }));
    }

    private static string Describe(IReadOnlyDictionary<string, string[]> errors) =>
        errors.Count == 0 ? "(no errors)" : string.Join("; ", errors.Select(kv => $"{kv.Key}: {string.Join(", ", kv.Value)}"));
}
