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

    /// <summary>
    /// The reason in the spec's own terms: what the value must be, never a .NET type or member name ("could not be
    /// converted to System.Int32" becomes "must be a whole number").
    /// </summary>
    public static string Describe(JsonException ex)
    {
        var msg = ex.Message;
        int cut = msg.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0) msg = msg[..cut];
        var converted = System.Text.RegularExpressions.Regex.Match(msg, @"could not be converted to ([\w.`\[\], ]+?)\.?$");
        if (converted.Success) return MustBe(converted.Groups[1].Value);
        if (msg.Contains("missing required properties", StringComparison.Ordinal))
        {
            var names = System.Text.RegularExpressions.Regex.Match(msg, @"properties including: (.+?)\.?$");
            return names.Success ? $"is missing {names.Groups[1].Value}" : "is missing a required field";
        }
        // JSON syntax errors from the reader ("'x' is an invalid start of a value. LineNumber: 0 | BytePositionInLine: 3.").
        return "is not valid JSON: " + System.Text.RegularExpressions.Regex.Replace(msg, @"\s*LineNumber: (\d+) \| BytePositionInLine: (\d+)\.?",
            m => $" (line {int.Parse(m.Groups[1].Value) + 1}, column {int.Parse(m.Groups[2].Value) + 1})").TrimEnd('.');
    }

    private static string MustBe(string type)
    {
        bool Has(string part) => type.Contains(part, StringComparison.Ordinal);
        if (Has("List") || Has("[]") || Has("Enumerable") || Has("Set`")) return "must be a list";
        if (Has("Dictionary")) return "must be an object";
        if (Has("System.Int") || Has("System.UInt") || Has("System.Long") || Has("System.Byte")) return "must be a whole number";
        if (Has("System.Double") || Has("System.Single") || Has("System.Decimal")) return "must be a number";
        if (Has("System.Boolean")) return "must be true or false";
        if (Has("System.String")) return "must be a string";
        return "must be an object";
    }

    public static string Serialize(ExperimentSpec spec, bool indented = false) => JsonSerializer.Serialize(spec, indented ? Indented : Options);

    public static ExperimentSpec Deserialize(string json) =>
        JsonSerializer.Deserialize<ExperimentSpec>(json, Options) ?? throw new JsonException("empty spec");

    /// <summary>sha256 of the canonical serialisation: equal specs hash equal.</summary>
    public static string Hash(ExperimentSpec spec) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Serialize(spec))));
}
