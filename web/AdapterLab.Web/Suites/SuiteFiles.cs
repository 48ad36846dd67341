using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using AdapterLab.Contracts.Suites;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlScalar = YamlDotNet.Core.Events.Scalar;

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

    /// <summary>Limits on a YAML suite: nesting depth, node count; anchors and aliases are refused (no alias bombs).</summary>
    public const int MaxYamlDepth = 64, MaxYamlNodes = 100_000;

    /// <summary>
    /// YAML → JSON: plain scalars become numbers, booleans or null where they read as such; quoted ones stay strings.
    /// Reads the parser's events with an explicit stack (no recursion, so no input can overflow the stack), stops at
    /// <see cref="MaxYamlDepth"/> levels or <see cref="MaxYamlNodes"/> nodes, and refuses anchors and aliases.
    /// </summary>
    public static JsonNode? YamlToJson(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        var stack = new Stack<(JsonNode Node, string? PendingKey)>();
        JsonNode? root = null;
        bool rootSet = false, documentSeen = false;
        int nodes = 0;
        try
        {
            while (parser.MoveNext())
            {
                var ev = parser.Current!;
                switch (ev)
                {
                    case StreamStart or StreamEnd or DocumentEnd:
                        continue;
                    case DocumentStart:
                        if (documentSeen) return root;   // the first document is the suite
                        documentSeen = true;
                        continue;
                    case AnchorAlias alias:
                        throw new FormatException($"YAML line {alias.Start.Line}: anchors and aliases are not supported in suite files");
                    case NodeEvent { Anchor.IsEmpty: false } anchored:
                        throw new FormatException($"YAML line {anchored.Start.Line}: anchors and aliases are not supported in suite files");
                }
                if (ev is MappingEnd or SequenceEnd)
                {
                    var (done, _) = stack.Pop();
                    Attach(done, ev.Start.Line);
                    continue;
                }
                if (++nodes > MaxYamlNodes) throw new FormatException($"YAML line {ev.Start.Line}: more than {MaxYamlNodes:N0} nodes");
                switch (ev)
                {
                    case YamlScalar scalar when stack.TryPeek(out var top) && top.Node is JsonObject && top.PendingKey is null:
                        stack.Pop();
                        stack.Push((top.Node, scalar.Value));   // a mapping key
                        break;
                    case YamlScalar scalar:
                        Attach(scalar.Style is ScalarStyle.Plain ? Plain(scalar.Value) : JsonValue.Create(scalar.Value), scalar.Start.Line);
                        break;
                    case MappingStart or SequenceStart:
                        if (stack.TryPeek(out var parent) && parent.Node is JsonObject && parent.PendingKey is null)
                            throw new FormatException($"YAML line {ev.Start.Line}: a mapping key must be a plain value");
                        if (stack.Count >= MaxYamlDepth) throw new FormatException($"YAML line {ev.Start.Line}: nested deeper than {MaxYamlDepth} levels");
                        stack.Push((ev is MappingStart ? new JsonObject() : new JsonArray(), null));
                        break;
                    default:
                        throw new FormatException($"YAML line {ev.Start.Line}: unsupported YAML ({ev.GetType().Name})");
                }
            }
        }
        catch (YamlException ex) { throw new FormatException($"YAML line {ex.Start.Line}: {ex.Message}", ex); }
        if (!rootSet) throw new FormatException("the YAML document is empty");
        return root;

        void Attach(JsonNode? value, long line)
        {
            if (stack.Count == 0)
            {
                (root, rootSet) = (value, true);
                return;
            }
            var (node, key) = stack.Pop();
            if (node is JsonArray array) { array.Add(value); stack.Push((node, null)); return; }
            var map = (JsonObject)node;
            if (map.ContainsKey(key!)) throw new FormatException($"YAML line {line}: duplicate key '{key}'");
            map[key!] = value;
            stack.Push((node, null));
        }
    }

    private static JsonNode? Plain(string? value)
    {
        if (value is null or "" or "~" or "null") return null;
        if (value is "true" or "false") return JsonValue.Create(value == "true");
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return JsonValue.Create(d);
        return JsonValue.Create(value);
    }
}
