using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AdapterLab.Contracts.Specs;

/// <summary>The canonical JSON form of specs: camelCase, unknown fields rejected, stable hash.</summary>
public static class SpecJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    private static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };

    /// <summary>Parses a spec; on failure returns the error keyed by the JSON path that broke it.</summary>
    public static ExperimentSpec? TryParse(string json, out IReadOnlyDictionary<string, string[]> errors)
    {
        errors = new Dictionary<string, string[]>();
        try
        {
            var spec = JsonSerializer.Deserialize<ExperimentSpec>(json, Options);
            if (spec is null) errors = new Dictionary<string, string[]> { ["$"] = ["the body must be a JSON object"] };
            return spec;
        }
        catch (JsonException ex)
        {
            var path = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "$" : ex.Path.TrimStart('$', '.');
            errors = new Dictionary<string, string[]> { [path] = [Describe(ex)] };
            return null;
        }
    }

    private static string Describe(JsonException ex)
    {
        var msg = ex.Message;
        int cut = msg.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? msg[..cut] : msg;
    }

    public static string Serialize(ExperimentSpec spec, bool indented = false) => JsonSerializer.Serialize(spec, indented ? Indented : Options);

    public static ExperimentSpec Deserialize(string json) =>
        JsonSerializer.Deserialize<ExperimentSpec>(json, Options) ?? throw new JsonException("empty spec");

    /// <summary>sha256 of the canonical serialisation: equal specs hash equal.</summary>
    public static string Hash(ExperimentSpec spec) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Serialize(spec))));
}
