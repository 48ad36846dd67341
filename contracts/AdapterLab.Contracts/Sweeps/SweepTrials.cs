using System.Text.Json.Nodes;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Contracts.Sweeps;

/// <summary>
/// Trial <c>i</c> of a sweep as an experiment spec: its searched values (point <c>i</c> of a listed space, or draw <c>i</c>) written
/// into the template, named <c>&lt;sweep&gt;-t&lt;i&gt;</c> and tagged with the sweep, then checked by the spec validator —
/// one function for the web (checking a new sweep's first trials) and the orchestrator (starting them).
/// </summary>
public static class SweepTrials
{
    /// <summary>The searched values of trial <paramref name="index"/>; <paramref name="points"/> is <see cref="SearchSpace.Points"/> (null: drawn).</summary>
    public static IReadOnlyDictionary<string, JsonNode?> Values(SweepDefinition d, int index, IReadOnlyList<IReadOnlyDictionary<string, JsonNode?>>? points) =>
        points is not null ? points[index] : SearchSpace.Draw(d, index);

    /// <summary>The trial's spec, or its errors by field (paths inside the template, e.g. <c>training.learningRate</c>).</summary>
    public static (ExperimentSpec? Spec, IReadOnlyDictionary<string, string[]> Errors) Spec(SweepDefinition d, IReadOnlyDictionary<string, JsonNode?> values, int index, bool allowDryRun)
    {
        var json = SearchSpace.Apply(d.Template, values);
        var parsed = SpecJson.TryParse(json.ToJsonString(), out var parseErrors);
        if (parsed is null) return (null, parseErrors);
        var spec = parsed with
        {
            Name = $"{d.Name}-t{index}",
            Tags = [.. parsed.Tags.Where(t => t != Tag(d.Name)), Tag(d.Name)],
        };
        var errors = SpecValidator.Validate(spec, allowDryRun);
        return errors.Count > 0 ? (null, errors) : (spec, errors);
    }

    /// <summary>
    /// The seed of replicate <paramref name="replicate"/> (1, 2, …) of a trial trained with <paramref name="trialSeed"/>
    /// (<see cref="SweepDefinition.FinalRungSeeds"/>): the seeds after the trial's own, wrapping past the largest to 0.
    /// </summary>
    public static int ReplicateSeed(int trialSeed, int replicate) => (int)(((long)trialSeed + replicate) % ((long)int.MaxValue + 1));

    /// <summary>
    /// A trial's value at its last rung: its own with <paramref name="seeds"/> = 1; otherwise the mean over its own and
    /// its <paramref name="seeds"/> − 1 replicates' values, null until every one reported.
    /// </summary>
    public static double? FinalRungValue(int seeds, double own, IReadOnlyList<double?> replicates) =>
        seeds <= 1 ? own
        : replicates.Count >= seeds - 1 && replicates.All(v => v is not null) ? (own + replicates.Sum(v => v!.Value)) / (1 + replicates.Count)
        : null;

    /// <summary>The tag every trial of sweep <paramref name="name"/> carries (lists and compare filter by it).</summary>
    public static string Tag(string name) => "sweep:" + name;

    /// <summary>The values as a JSON object (stored with the trial, shown in its row and the parallel coordinates).</summary>
    public static string ValuesJson(IReadOnlyDictionary<string, JsonNode?> values) =>
        new JsonObject(values.Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone()))).ToJsonString();

    /// <summary>One line naming every error (a trial's failure reason).</summary>
    public static string Describe(IReadOnlyDictionary<string, string[]> errors) =>
        string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));
}
