using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Contracts.Suites;

/// <summary>One experiment a suite run submits: the entry it came from, its grid point, its seed and the full spec.</summary>
public sealed record ExpandedExperiment(string Entry, string Label, int Seed, ExperimentSpec Spec);

/// <summary>One sweep a suite run starts: its entry name and its definition (the template merged over the suite's defaults).</summary>
public sealed record ExpandedSweep(string Entry, Sweeps.SweepDefinition Definition);

/// <summary>Raised when a suite definition cannot be expanded; <see cref="Errors"/> are keyed by path.</summary>
public sealed class SuiteDefinitionException(IReadOnlyDictionary<string, string[]> errors)
    : Exception(string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")))
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}

/// <summary>
/// Grid expansion: defaults ⊕ entry spec, then the cartesian product of the entry's grid (keys in order, the last varying
/// fastest), then each seed. Pure: the same definition always expands to the same specs in the same order.
/// </summary>
public static partial class SuiteExpansion
{
    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex NamePattern();

    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <summary>Expands and validates every spec; throws <see cref="SuiteDefinitionException"/> listing every problem.</summary>
    public static IReadOnlyList<ExpandedExperiment> Expand(SuiteDefinition suite)
    {
        var errors = new Dictionary<string, string[]>();
        var result = new List<ExpandedExperiment>();
        if (!IsValidName(suite.Name)) errors["name"] = ["must be lowercase letters, digits and dashes (at most 63)"];
        if (suite.Experiments.Count == 0 && suite.Sweeps.Count == 0) errors["experiments"] = ["a suite needs at least one experiment or sweep"];
        if (suite.Seeds.Count == 0) errors["seeds"] = ["give at least one seed"];
        if (suite.Window is { } w && w <= TimeSpan.Zero) errors["window"] = ["must be positive"];

        for (int i = 0; i < suite.Experiments.Count; i++)
        {
            var entry = suite.Experiments[i];
            var path = $"experiments[{i}]";
            var entryName = entry.Name ?? $"entry-{i + 1}";
            var seeds = entry.Seeds ?? suite.Seeds;
            if (seeds.Count == 0) { errors[$"{path}.seeds"] = ["give at least one seed"]; continue; }
            var baseSpec = Merge(suite.Defaults, entry.Spec);
            List<(string Label, JsonObject Spec)> points;
            try { points = GridPoints(baseSpec, entry.Grid); }
            catch (ArgumentException ex) { errors[$"{path}.grid"] = [ex.Message]; continue; }

            foreach (var (label, point) in points)
            {
                foreach (var seed in seeds.Distinct())
                {
                    var node = (JsonObject)point.DeepClone();
                    Set(node, "training.seed", JsonValue.Create(seed));
                    node["suite"] = suite.Name;
                    if (node["name"] is null) node["name"] = label.Length == 0 ? entryName : $"{entryName} {label}";
                    else if (label.Length > 0) node["name"] = $"{node["name"]!.GetValue<string>()} {label}";
                    var spec = SpecJson.TryParse(node.ToJsonString(), out var parseErrors);
                    if (spec is null)
                    {
                        foreach (var (k, v) in parseErrors) errors[$"{path}.spec.{k}"] = v;
                        break;
                    }
                    var invalid = SpecValidator.Validate(spec);
                    foreach (var (k, v) in invalid) errors[$"{path}{(label.Length > 0 ? $"[{label}]" : "")}.spec.{k}"] = v;
                    if (invalid.Count == 0) result.Add(new ExpandedExperiment(entryName, label, seed, spec));
                }
            }
        }
        SweepsOf(suite, errors);
        if (errors.Count > 0) throw new SuiteDefinitionException(errors);
        return result;
    }

    /// <summary>Sweeps one suite may start per run (each up to <see cref="Sweeps.SweepPlan.MaxTrialsLimit"/> trials).</summary>
    public const int MaxSweeps = 20;

    /// <summary>The suite's sweeps, each planned (<see cref="Sweeps.SweepPlan.From"/>); throws <see cref="SuiteDefinitionException"/> naming <c>sweeps[i].&lt;field&gt;</c>.</summary>
    public static IReadOnlyList<ExpandedSweep> ExpandSweeps(SuiteDefinition suite)
    {
        var errors = new Dictionary<string, string[]>();
        var sweeps = SweepsOf(suite, errors);
        if (errors.Count > 0) throw new SuiteDefinitionException(errors);
        return sweeps;
    }

    private static List<ExpandedSweep> SweepsOf(SuiteDefinition suite, Dictionary<string, string[]> errors)
    {
        var result = new List<ExpandedSweep>();
        var names = new HashSet<string>();
        if (suite.Sweeps.Count > MaxSweeps) { errors["sweeps"] = [$"at most {MaxSweeps} sweeps per suite"]; return result; }
        for (int i = 0; i < suite.Sweeps.Count; i++)
        {
            var path = $"sweeps[{i}]";
            if (suite.Sweeps[i] is not { } entry) { errors[path] = ["required (not null)"]; continue; }
            var node = (JsonObject)entry.DeepClone();
            node["name"] ??= $"sweep-{i + 1}";
            if (node["template"] is JsonObject template) node["template"] = Merge(suite.Defaults, template);
            else if (node["template"] is null && suite.Defaults is not null) node["template"] = suite.Defaults.DeepClone();
            try
            {
                var definition = Sweeps.SweepDefinition.Parse(node.ToJsonString());
                if (definition.Name is { } name && !names.Add(name)) errors[$"{path}.name"] = [$"another sweep of this suite is named '{name}'"];
                Sweeps.SweepPlan.From(definition);
                if (!errors.ContainsKey($"{path}.name")) result.Add(new ExpandedSweep(definition.Name, definition));
            }
            catch (JsonException ex) { errors[path] = [$"not a sweep definition: {ex.Message}"]; }
            catch (Sweeps.SweepDefinitionException ex)
            {
                foreach (var (k, v) in ex.Errors) errors[$"{path}.{k}"] = v;
            }
        }
        return result;
    }

    /// <summary>Cartesian product of the grid over <paramref name="spec"/>, with a short label per point.</summary>
    public static List<(string Label, JsonObject Spec)> GridPoints(JsonObject spec, IReadOnlyDictionary<string, JsonArray>? grid)
    {
        var points = new List<(string, JsonObject)> { ("", (JsonObject)spec.DeepClone()) };
        if (grid is null) return points;
        foreach (var (key, values) in grid)
        {
            if (string.IsNullOrWhiteSpace(key)) throw new ArgumentException("a grid key must be a dotted spec path");
            if (values.Count == 0) throw new ArgumentException($"'{key}' has no values");
            var next = new List<(string, JsonObject)>(points.Count * values.Count);
            foreach (var (label, point) in points)
            {
                foreach (var value in values)
                {
                    var copy = (JsonObject)point.DeepClone();
                    Set(copy, key, value?.DeepClone());
                    var part = $"{key}={Describe(value)}";
                    next.Add((label.Length == 0 ? part : $"{label} {part}", copy));
                }
            }
            points = next;
        }
        return points;
    }

    /// <summary>Deep merge: objects merge key by key, anything else (arrays included) in <paramref name="over"/> replaces.</summary>
    public static JsonObject Merge(JsonObject? under, JsonObject over)
    {
        var result = under is null ? new JsonObject() : (JsonObject)under.DeepClone();
        foreach (var (key, value) in over)
        {
            if (value is JsonObject o && result[key] is JsonObject existing) result[key] = Merge(existing, o);
            else result[key] = value?.DeepClone();
        }
        return result;
    }

    private static void Set(JsonObject root, string dottedPath, JsonNode? value)
    {
        var parts = dottedPath.Split('.');
        var node = root;
        foreach (var part in parts[..^1])
        {
            if (node[part] is JsonObject child) node = child;
            else if (node[part] is null) { child = new JsonObject(); node[part] = child; node = child; }
            else throw new ArgumentException($"'{dottedPath}': '{part}' is not an object");
        }
        node[parts[^1]] = value;
    }

    /// <summary>A grid value as it appears in names: scalars as written, objects by their <c>name</c> (+ other fields).</summary>
    private static string Describe(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<double>(out var d) => d.ToString(CultureInfo.InvariantCulture),
        JsonObject o when o["name"] is JsonValue n && n.TryGetValue<string>(out var name) =>
            o.Count == 1 ? name : $"{name}({string.Join(",", o.Where(p => p.Key != "name").Select(p => $"{p.Key}:{Describe(p.Value)}"))})",
        _ => value.ToJsonString(new JsonSerializerOptions { WriteIndented = false }),
    };
}
