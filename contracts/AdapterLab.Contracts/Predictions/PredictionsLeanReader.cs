using System.Text.Json;

namespace AdapterLab.Contracts.Predictions;

/// <summary>
/// Reads a decompressed predictions file for statistics in one forward pass of <see cref="Utf8JsonReader"/>: labels,
/// predictions and per-image metrics, with class probabilities skipped unread, and a set's example ids shared with an
/// earlier set of the same file when they are the same list (the floors are evaluated on the model's examples) —
/// compared in place, without allocating the duplicate strings. The result equals
/// <see cref="PredictionsFile.Read(Stream, bool)"/> without probabilities; a cold comparison parses twenty files with it.
/// </summary>
internal static class PredictionsLeanReader
{
    public static PredictionsFile Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        Expect(ref reader, JsonTokenType.StartObject);
        string format = "";
        long step = 0;
        var sets = new List<PredictionSet>();
        var idLists = new List<IReadOnlyList<string>>();
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            if (reader.ValueTextEquals("format")) { Next(ref reader); format = reader.GetString() ?? ""; }
            else if (reader.ValueTextEquals("step")) { Next(ref reader); step = reader.GetInt64(); }
            else if (reader.ValueTextEquals("sets"))
            {
                Expect(ref reader, JsonTokenType.StartArray);
                while (Next(ref reader) != JsonTokenType.EndArray) sets.Add(ReadSet(ref reader, idLists));
            }
            else { Next(ref reader); reader.Skip(); }
        }
        return new PredictionsFile { Format = format, Step = step, Sets = sets };
    }

    private static PredictionSet ReadSet(ref Utf8JsonReader reader, List<IReadOnlyList<string>> idLists)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("a prediction set must be an object");
        string? split = null, task = null, domain = null, predictor = null;
        IReadOnlyList<string>? ids = null;
        List<int>? labels = null, predicted = null;
        Dictionary<string, double?[]>? metrics = null;
        Dictionary<string, double[][]>? parts = null;
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            if (reader.ValueTextEquals("split")) { Next(ref reader); split = reader.GetString(); }
            else if (reader.ValueTextEquals("task")) { Next(ref reader); task = reader.GetString(); }
            else if (reader.ValueTextEquals("domain")) { Next(ref reader); domain = reader.GetString(); }
            else if (reader.ValueTextEquals("predictor")) { Next(ref reader); predictor = reader.GetString(); }
            else if (reader.ValueTextEquals("exampleIds")) ids = ReadIds(ref reader, idLists);
            else if (reader.ValueTextEquals("labels")) labels = ReadInts(ref reader);
            else if (reader.ValueTextEquals("predicted")) predicted = ReadInts(ref reader);
            else if (reader.ValueTextEquals("metrics"))
            {
                if (Next(ref reader) == JsonTokenType.Null) continue;
                if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("metrics must be an object");
                metrics = [];
                while (Next(ref reader) != JsonTokenType.EndObject)
                {
                    var name = reader.GetString()!;
                    Expect(ref reader, JsonTokenType.StartArray);
                    var values = new List<double?>();
                    while (Next(ref reader) != JsonTokenType.EndArray)
                        values.Add(reader.TokenType == JsonTokenType.Null ? null : ReadDouble(ref reader));
                    metrics[name] = values.ToArray();
                }
            }
            else if (reader.ValueTextEquals("metricParts")) parts = ReadParts(ref reader);
            else { Next(ref reader); reader.Skip(); }
        }
        if (split is null || task is null || domain is null || predictor is null || ids is null)
            throw new JsonException("a prediction set needs split, task, domain, predictor and exampleIds");
        return new PredictionSet { Split = split, Task = task, Domain = domain, Predictor = predictor, ExampleIds = ids, Labels = labels, Predicted = predicted, Metrics = metrics, MetricParts = parts };
    }

    /// <summary>Per metric, per image, its parts: <c>{"miou": [[…], […]], …}</c>.</summary>
    private static Dictionary<string, double[][]>? ReadParts(ref Utf8JsonReader reader)
    {
        if (Next(ref reader) == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("metricParts must be an object");
        var result = new Dictionary<string, double[][]>();
        var row = new List<double>();
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            var name = reader.GetString()!;
            Expect(ref reader, JsonTokenType.StartArray);
            var images = new List<double[]>();
            while (Next(ref reader) != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("an image's metric parts must be an array");
                row.Clear();
                while (Next(ref reader) != JsonTokenType.EndArray) row.Add(ReadDouble(ref reader));
                images.Add(row.ToArray());
            }
            result[name] = images.ToArray();
        }
        return result;
    }

    /// <summary>The ids of a set; an earlier list of this file when they are the same (compared without allocating).</summary>
    private static IReadOnlyList<string> ReadIds(ref Utf8JsonReader reader, List<IReadOnlyList<string>> idLists)
    {
        Expect(ref reader, JsonTokenType.StartArray);
        var candidate = idLists.Count > 0 ? idLists[^1] : null;
        List<string>? own = null;
        int i = 0;
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String) throw new JsonException("example ids must be strings");
            if (own is null && candidate is not null && i < candidate.Count && reader.ValueTextEquals(candidate[i])) { i++; continue; }
            if (own is null)
            {
                own = new List<string>(candidate?.Count ?? 256);
                for (int k = 0; k < i; k++) own.Add(candidate![k]);
            }
            own.Add(reader.GetString()!);
            i++;
        }
        if (own is null && candidate is not null && i == candidate.Count) return candidate;
        own ??= [];
        idLists.Add(own);
        return own;
    }

    private static List<int> ReadInts(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartArray);
        var values = new List<int>();
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int v)) throw new JsonException("class indices must be integers");
            values.Add(v);
        }
        return values;
    }

    /// <summary>A number, or one of the named floating-point literals the writer allows ("NaN", "Infinity", "-Infinity").</summary>
    private static double ReadDouble(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number => reader.GetDouble(),
        JsonTokenType.String => reader.GetString() switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            var other => throw new JsonException($"'{other}' is not a number"),
        },
        _ => throw new JsonException("metric values must be numbers or null"),
    };

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read()) throw new JsonException("truncated predictions file");
        return reader.TokenType;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (Next(ref reader) != type) throw new JsonException($"expected {type}, found {reader.TokenType}");
    }
}
