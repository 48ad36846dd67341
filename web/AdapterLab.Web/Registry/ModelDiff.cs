using System.Text.Json;

namespace AdapterLab.Web.Registry;

/// <summary>Differences between two versions' specs (as dotted JSON paths) and metrics; pure, so tested alone.</summary>
public static class ModelDiff
{
    /// <summary>Every leaf path whose value differs, is added or removed, in path order. Arrays compare element by element (<c>path[i]</c>).</summary>
    public static List<FieldDifference> Spec(JsonElement from, JsonElement to)
    {
        var a = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var b = new SortedDictionary<string, string>(StringComparer.Ordinal);
        Flatten(from, "", a);
        Flatten(to, "", b);
        var result = new List<FieldDifference>();
        foreach (var path in a.Keys.Union(b.Keys).Order(StringComparer.Ordinal))
        {
            var x = a.GetValueOrDefault(path);
            var y = b.GetValueOrDefault(path);
            if (x != y) result.Add(new FieldDifference(path, x, y));
        }
        return result;
    }

    public static List<MetricDifference> Metrics(IReadOnlyList<ModelMetric> from, IReadOnlyList<ModelMetric> to)
    {
        static string Key(ModelMetric m) => $"{m.Split}\u0001{m.Task}\u0001{m.Domain}\u0001{m.Metric}";
        var a = from.ToDictionary(Key);
        var b = to.ToDictionary(Key);
        return a.Keys.Union(b.Keys).Order(StringComparer.Ordinal).Select(k =>
        {
            var m = a.GetValueOrDefault(k) ?? b[k];
            return new MetricDifference(m.Split, m.Task, m.Domain, m.Metric, a.GetValueOrDefault(k)?.Value, b.GetValueOrDefault(k)?.Value);
        }).Where(d => d.From != d.To).ToList();
    }

    private static void Flatten(JsonElement e, string path, IDictionary<string, string> into)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject()) Flatten(p.Value, path.Length == 0 ? p.Name : $"{path}.{p.Name}", into);
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in e.EnumerateArray()) Flatten(item, $"{path}[{i++}]", into);
                if (i == 0) into[path] = "[]";
                break;
            case JsonValueKind.Null:
            case JsonValueKind.Undefined:
                break;
            default:
                into[path] = e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();
                break;
        }
    }
}
