using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace AdapterLab.Contracts.Suites;

/// <summary>
/// A benchmark suite as written in <c>suites/*.yaml</c> or sent to <c>PUT /api/suites/{name}</c>: experiment entries
/// (partial specs merged over <see cref="Defaults"/>), each expanded over its <see cref="SuiteEntry.Grid"/> and seeds.
/// </summary>
public sealed record SuiteDefinition
{
    /// <summary>Suite name (lowercase letters, digits and dashes), unique.</summary>
    public string Name { get; init; } = "";

    /// <summary>What the suite measures.</summary>
    public string? Description { get; init; }

    /// <summary>Hangfire cron expression (UTC) that fires the suite; none: on demand only.</summary>
    public string? Schedule { get; init; }

    /// <summary>Time the run must finish in (<c>hh:mm:ss</c> or <c>d.hh:mm:ss</c>); a run estimated to need longer is refused or trimmed.</summary>
    public TimeSpan? Window { get; init; }

    /// <summary>Seeds every entry runs with unless the entry names its own.</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [1];

    /// <summary>Spec fields shared by every entry (an entry's own fields win; objects merge, arrays replace).</summary>
    public JsonObject? Defaults { get; init; }

    /// <summary>The experiments: pretrains first by convention (adaptations refer to their <c>registerAs</c> name).</summary>
    public IReadOnlyList<SuiteEntry> Experiments { get; init; } = [];

    /// <summary>
    /// Sweeps every run of the suite starts: each a sweep definition as sent to <c>POST /api/sweeps</c> whose
    /// <c>template</c> is merged over <see cref="Defaults"/>; its <c>name</c> (default <c>sweep-&lt;n&gt;</c>) names the entry.
    /// A run ends when its experiments and its sweeps have ended; its summary carries each sweep's winner.
    /// </summary>
    public IReadOnlyList<JsonObject> Sweeps { get; init; } = [];

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        WriteIndented = false,
    };

    public static SuiteDefinition Parse(string json) =>
        JsonSerializer.Deserialize<SuiteDefinition>(json, Json) ?? throw new JsonException("the suite definition must be a JSON object");

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>One experiment entry of a suite: a (partial) spec, optionally a grid, optionally its own seeds.</summary>
public sealed record SuiteEntry
{
    /// <summary>Entry name, used in experiment names and error paths.</summary>
    public string? Name { get; init; }

    /// <summary>Spec fields (camelCase, as in <c>POST /api/experiments</c>), merged over the suite's defaults.</summary>
    public JsonObject Spec { get; init; } = new();

    /// <summary>
    /// Dotted spec paths (e.g. <c>method</c>, <c>training.learningRate</c>, <c>data.targetDomains</c>) each given a list of
    /// values: the entry expands into one spec per combination. A value replaces the field whole (objects are not merged).
    /// </summary>
    public Dictionary<string, JsonArray>? Grid { get; init; }

    /// <summary>Seeds for this entry (a pretrain usually needs one); default: the suite's seeds.</summary>
    public IReadOnlyList<int>? Seeds { get; init; }
}
