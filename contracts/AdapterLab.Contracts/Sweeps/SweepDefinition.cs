using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace AdapterLab.Contracts.Sweeps;

/// <summary>
/// A hyper-parameter sweep: a spec <see cref="Template"/> (as in <c>POST /api/experiments</c>), a search
/// <see cref="Space"/> over dotted spec paths, an <see cref="Objective"/>, a <see cref="Budget"/> and an
/// <see cref="Algorithm"/> — <c>grid</c>, <c>random</c>, <c>asha</c> (asynchronous successive halving, Li et al. 2020)
/// or <c>hyperband</c> (several ASHA brackets with different smallest rungs).
/// </summary>
public sealed record SweepDefinition
{
    public string Name { get; init; } = "";
    public string? Description { get; init; }

    /// <summary>The spec every trial starts from; <c>training.steps</c> is a trial's maximum budget.</summary>
    public JsonObject Template { get; init; } = new();

    /// <summary>Dotted spec path (e.g. <c>training.learningRate</c>, <c>method.bottleneck</c>) → its search dimension.</summary>
    public Dictionary<string, SearchDimension> Space { get; init; } = new();

    public SweepObjective Objective { get; init; } = new();
    public SweepBudget Budget { get; init; } = new();

    /// <summary><c>grid</c>, <c>random</c>, <c>asha</c> or <c>hyperband</c>.</summary>
    public string Algorithm { get; init; } = SweepAlgorithms.Asha;

    /// <summary>Reduction factor η of successive halving: the top 1/η of a rung is promoted to η× the steps.</summary>
    public int Eta { get; init; } = 3;

    /// <summary>
    /// Successive halving's cut as a noisy measurement: when no new trial can start, a paused trial whose value at a rung
    /// is within this much of the cut (the value of the last of the rung's top 1/η) is promoted too, best first, with the
    /// budget that is left. A rung's value is one evaluation — a validation accuracy on 500 examples has a standard error
    /// near 2 points — and a cut decided by less than that is a coin toss. In the objective's units; 0 (the default):
    /// the plain top 1/η. ASHA and Hyperband only.
    /// </summary>
    public double PromotionTolerance { get; init; }

    /// <summary>The smallest rung in steps (default: the maximum budget divided by η², at least the warm-up).</summary>
    public int? MinSteps { get; init; }

    /// <summary>Trials running at once.</summary>
    public int MaxConcurrent { get; init; } = 4;

    /// <summary>
    /// After the search, the winner (best at the highest rung reached) trains again at the full budget with this many
    /// fresh seeds, and the sweep reports their test result with its interval: the search's own score is the best of many
    /// validation scores, optimistic by selection. 0: no confirmation.
    /// </summary>
    public int ConfirmSeeds { get; init; }

    /// <summary>
    /// Seeds a trial is judged on at the full budget: a trial that reaches its bracket's last rung is judged by the mean of
    /// its objective over its own run and <c>finalRungSeeds − 1</c> replicates of its configuration, trained straight
    /// through with the seeds after its own (its seed + 1, + 2, …). A rung's value is one training run evaluated once;
    /// at the last rung it decides the winner between the few best configurations, whose gaps are often within one
    /// run's seed-to-seed spread. The replicates' steps count in the budget (reserved when the trial is promoted to the
    /// last rung, or started there). 1 (the default): its own run only.
    /// </summary>
    public int FinalRungSeeds { get; init; } = 1;

    /// <summary>Seed of the search itself (random draws); each trial's training seed stays the template's.</summary>
    public int Seed { get; init; } = 1;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    public static SweepDefinition Parse(string json)
    {
        var d = JsonSerializer.Deserialize<SweepDefinition>(json, Json) ?? throw new JsonException("the sweep definition must be a JSON object");
        try
        {
            // The template and choices are kept as JSON nodes, which only fail when written: write them once now, so text
            // that is not valid Unicode (a lone surrogate escape) is a parse error here, not a failure later. (Numbers
            // out of range are the plan's to name, by field.)
            _ = d.Template?.ToJsonString();
            if (d.Space is not null) foreach (var dim in d.Space.Values) _ = dim?.Values?.ToJsonString();
        }
        catch (InvalidOperationException ex)
        {
            throw new JsonException($"the definition holds text that is not valid Unicode: {ex.Message}");
        }
        return d;
    }
}

/// <summary>
/// One searched field: <c>choice</c> over <see cref="Values"/>, or <c>uniform</c>, <c>log-uniform</c> or
/// <c>integer</c> (inclusive) between <see cref="Low"/> and <see cref="High"/>.
/// </summary>
public sealed record SearchDimension
{
    public string Type { get; init; } = SearchTypes.Choice;
    public JsonArray? Values { get; init; }
    public double? Low { get; init; }
    public double? High { get; init; }
}

/// <summary>What a sweep optimises: a metric on a split (validation by default: the test split is read once, by the winner).</summary>
public sealed record SweepObjective
{
    public string Metric { get; init; } = "accuracy";
    public string Split { get; init; } = "validation";
    public string? Task { get; init; }
    public string? Domain { get; init; }

    /// <summary><c>max</c> or <c>min</c>.</summary>
    public string Direction { get; init; } = "max";

    /// <summary>
    /// The objective's value among a trial's reported results: the metric on the split, for the task (any, when only one
    /// reports it) and the domain (default: the trial's source domain). Null with the reason when it is missing or ambiguous.
    /// </summary>
    public (double? Value, string? Problem) ValueIn(IEnumerable<Messages.FinalResult> results, string sourceDomain)
    {
        string domain = Domain ?? sourceDomain;
        var matches = results.Where(r => r.Split == Split && r.Metric == Metric && r.Domain == domain && (Task is null || r.Task == Task)).ToList();
        if (matches.Count == 1) return double.IsFinite(matches[0].Value) ? (matches[0].Value, null) : (null, $"{Split} {Metric} is {matches[0].Value}");
        if (matches.Count == 0)
            return (null, $"no {Split} '{Metric}'{(Task is null ? "" : $" for task '{Task}'")} on domain '{domain}' was reported");
        return (null, $"{Split} '{Metric}' is reported for several tasks ({string.Join(", ", matches.Select(m => m.Task))}): name objective.task");
    }
}

/// <summary>When a sweep stops starting trials: any limit reached (at least one is required).</summary>
public sealed record SweepBudget
{
    public int? MaxTrials { get; init; }

    /// <summary>Training steps summed over every trial (a promoted trial counts only the steps it actually trains).</summary>
    public long? TotalSteps { get; init; }

    public TimeSpan? WallClock { get; init; }
}

public static class SweepAlgorithms
{
    public const string Grid = "grid";
    public const string Random = "random";
    public const string Asha = "asha";
    public const string Hyperband = "hyperband";
    public static readonly IReadOnlyList<string> All = [Grid, Random, Asha, Hyperband];
}

public static class SearchTypes
{
    public const string Choice = "choice";
    public const string Uniform = "uniform";
    public const string LogUniform = "log-uniform";
    public const string Integer = "integer";
    public static readonly IReadOnlyList<string> All = [Choice, Uniform, LogUniform, Integer];
}
