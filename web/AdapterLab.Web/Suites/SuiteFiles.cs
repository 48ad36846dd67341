using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using AdapterLab.Contracts.Suites;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AdapterLab.Web.Suites;

/// <summary>
/// Reads suite definitions from JSON or YAML text, and the built-in suites (<c>suites/*.yaml</c> at the repository root,
/// embedded into this assembly at build time so a published web finds them too).
/// </summary>
public static class SuiteFiles
{
    private const string ResourcePrefix = "AdapterLab.Web.Suites.BuiltIn.";

    /// <summary>Parses JSON, or YAML when the text does not start with <c>{</c>; throws <see cref="FormatException"/> with the reason.</summary>
    public static SuiteDefinition Parse(string text)
    {
        var trimmed = text.TrimStart();
        var json = trimmed.StartsWith('{') ? trimmed : YamlToJson(text)?.ToJsonString() ?? "null";
        try { return SuiteDefinition.Parse(json); }
        catch (System.Text.Json.JsonException ex) { throw new FormatException(ex.Message, ex); }
    }

    /// <summary>The built-in suites, by file name.</summary>
    public static IEnumerable<(string File, string Text)> BuiltIn()
    {
        var assembly = typeof(SuiteFiles).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order())
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            yield return (name[ResourcePrefix.Length..], reader.ReadToEnd());
        }
    }

    /// <summary>YAML → JSON: plain scalars become numbers, booleans or null where they read as such; quoted ones stay strings.</summary>
    public static JsonNode? YamlToJson(string yaml)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException ex) { throw new FormatException($"YAML line {ex.Start.Line}: {ex.Message}", ex); }
        if (stream.Documents.Count == 0) throw new FormatException("the YAML document is empty");
        return Convert(stream.Documents[0].RootNode);
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", Convert(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(Convert).ToArray()),
        YamlScalarNode s when s.Style is ScalarStyle.Plain => Plain(s.Value),
        YamlScalarNode s => JsonValue.Create(s.Value),
        _ => throw new FormatException($"unsupported YAML node at line {node.Start.Line}"),
    };

    private static JsonNode? Plain(string? value)
    {
        if (value is null or "" or "~" or "null") return null;
        if (value is "true" or "false") return JsonValue.Create(value == "true");
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return JsonValue.Create(d);
        return JsonValue.Create(value);
    }
}
