using System.Text.Json;

namespace AdapterLab.Web.Dashboard;

/// <summary>One spec field whose value differs between the compared specs; a null value means the field is absent (its default).</summary>
public sealed record SpecDiffRow(string Path, IReadOnlyList<string?> Values);

/// <summary>
/// Field-by-field difference of spec JSON documents: flattens each into JSON paths (<c>method.bottleneck</c>,
/// <c>data.targetDomains</c>) and keeps the paths whose values are not all equal. Arrays of scalars compare as one value;
/// arrays of objects compare element by element (<c>items[0].name</c>).
/// </summary>
public static class SpecDiff
{
    public static IReadOnlyList<SpecDiffRow> Compute(IReadOnlyList<string> specJsons)
    {
        var flat = specJsons.Select(Flatten).ToList();
        var paths = flat.SelectMany(f => f.Keys).Distinct(StringComparer.Ordinal).OrderBy(p => p, StringComparer.Ordinal);
        var rows = new List<SpecDiffRow>();
        foreach (var path in paths)
        {
            var values = flat.Select(f => f.GetValueOrDefault(path)).ToList();
            if (values.Distinct(StringComparer.Ordinal).Count() > 1) rows.Add(new SpecDiffRow(path, values));
        }
        return rows;
    }

    /// <summary>Every leaf of a JSON document by path; strings unquoted, other scalars and scalar arrays as JSON text.</summary>
    public static Dictionary<string, string> Flatten(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        Walk(doc.RootElement, "", result);
        return result;
    }

    private static void Walk(JsonElement e, string path, Dictionary<string, string> into)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject()) Walk(p.Value, path.Length == 0 ? p.Name : $"{path}.{p.Name}", into);
                break;
            case JsonValueKind.Array when e.EnumerateArray().All(x => x.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)):
                into[path] = "[" + string.Join(", ", e.EnumerateArray().Select(Scalar)) + "]";
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var x in e.EnumerateArray()) Walk(x, $"{path}[{i++}]", into);
                break;
            case JsonValueKind.Null:
                break; // absent and null mean the same in a spec
            default:
                into[path] = Scalar(e);
                break;
        }
    }

    private static string Scalar(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();
}
