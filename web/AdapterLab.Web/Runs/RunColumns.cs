using System.Globalization;
using System.Text.Json;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Runs;

/// <summary>
/// The runs table's extra columns: any final metric (<c>split.task.domain.metric</c>), any spec field
/// (<c>training.learningRate</c>) or a built-in field (<c>params</c>, <c>seed</c>, <c>trainSeconds</c>, …), each keyed by
/// the text a user writes for it in a filter — so a column, a sort and a condition name the same thing. Values of a page's
/// rows are read in two queries (the rows, their final results), whatever the number of columns.
/// </summary>
public static class RunColumns
{
    public const int MaxColumns = 24;

    /// <summary>Parses a comma-separated column list (<c>cols=</c>); duplicates dropped, order kept.</summary>
    public static IReadOnlyList<RunField> Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var keys = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
        if (keys.Count > MaxColumns) throw new RunQueryException($"{keys.Count} columns; at most {MaxColumns}", 0);
        var fields = new List<RunField>(keys.Count);
        foreach (var key in keys)
        {
            var field = RunQueryParser.ParseField(key);
            if (field is MetricField { IsExact: false } m)
                throw new RunQueryException($"the column '{key}' needs the task and the domain: split.task.domain.metric (e.g. {m.Split}.classification.fog.{m.Metric})", 0);
            fields.Add(field);
        }
        return fields;
    }

    public static string Format(IEnumerable<RunField> columns) => string.Join(",", columns.Select(c => c.Text));

    /// <summary>The columns' values for the given runs: run id → column text → value (double, long, string or null).</summary>
    public static async Task<IReadOnlyDictionary<Guid, IReadOnlyDictionary<string, object?>>> ReadAsync(
        PlatformDbContext db, IReadOnlyList<Guid> ids, IReadOnlyList<RunField> columns, CancellationToken ct)
    {
        var result = new Dictionary<Guid, IReadOnlyDictionary<string, object?>>();
        if (columns.Count == 0 || ids.Count == 0) return result;
        var runs = columns.Any(c => c is not MetricField)
            ? await db.Experiments.AsNoTracking().Where(e => ids.Contains(e.Id)).ToDictionaryAsync(e => e.Id, ct)
            : [];
        var metrics = columns.OfType<MetricField>().ToList();
        var splits = metrics.Select(m => m.Split).Distinct().ToList();
        var names = metrics.Select(m => m.Metric).Distinct().ToList();
        var results = metrics.Count == 0 ? [] : (await db.FinalResults.AsNoTracking()
                .Where(r => ids.Contains(r.ExperimentId) && splits.Contains(r.Split) && names.Contains(r.Metric))
                .Select(r => new { r.ExperimentId, r.Split, r.Task, r.Domain, r.Metric, r.Value }).ToListAsync(ct))
            .ToDictionary(r => (r.ExperimentId, r.Split, r.Task, r.Domain, r.Metric), r => r.Value);
        foreach (var id in ids)
        {
            var row = new Dictionary<string, object?>(columns.Count);
            runs.TryGetValue(id, out var run);
            foreach (var column in columns)
                row[column.Text] = column switch
                {
                    MetricField m => results.TryGetValue((id, m.Split, m.Task!, m.Domain!, m.Metric), out var v) ? v : null,
                    SpecField s => run is null ? null : SpecValue(run.SpecJson, s.Path),
                    BuiltinField b => run is null ? null : BuiltinValue(run, b.Info),
                    _ => null,
                };
            result[id] = row;
        }
        return result;
    }

    /// <summary>A spec field's value: a number as double, a string, a bool, a list as comma-joined text; null when absent.</summary>
    public static object? SpecValue(string specJson, IReadOnlyList<string> path)
    {
        using var doc = JsonDocument.Parse(specJson);
        var at = doc.RootElement;
        foreach (var part in path)
            if (at.ValueKind != JsonValueKind.Object || !at.TryGetProperty(part, out at)) return null;
        return Scalar(at);
    }

    private static object? Scalar(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Array => string.Join(",", e.EnumerateArray().Select(x => Scalar(x)?.ToString() ?? "")),
        JsonValueKind.Object => e.GetRawText(),
        _ => null,
    };

    public static object? BuiltinValue(Experiment e, BuiltinFieldInfo f) => f.Name switch
    {
        "name" => e.Name,
        "kind" => e.Kind,
        "method" => e.Method,
        "status" => e.Status.ToString(),
        "preset" => e.Preset,
        "dataset" => e.Dataset,
        "label" => e.LabelFamily,
        "source" => e.SourceDomain,
        "setting" => e.Setting,
        "suite" => e.Suite,
        "owner" => e.Owner,
        "pool" => e.Pool,
        "tag" => string.Join(",", e.Tags),
        "task" => string.Join(",", e.Tasks),
        "domain" => string.Join(",", e.TargetDomains.Prepend(e.SourceDomain)),
        "seed" => (double)e.Seed,
        "priority" => (double)e.Priority,
        "params" => (double)e.TrainableParameters,
        "totalParams" => (double)e.TotalParameters,
        "steps" => (double)e.TotalSteps,
        "attempts" => (double)e.AttemptCount,
        "imagesPerSecond" => e.ImagesPerSecond,
        "trainSeconds" => e is { StartedAt: { } s, FinishedAt: { } f2 } ? (f2 - s).TotalSeconds : null,
        "submitted" => e.SubmittedAt.ToString("u", CultureInfo.InvariantCulture),
        "finished" => e.FinishedAt?.ToString("u", CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <summary>A cell as text (tables and CSV): numbers to 4 significant digits, or as integers when they are.</summary>
    public static string Show(object? value) => value switch
    {
        null => "",
        double d when double.IsFinite(d) && Math.Abs(d) >= 1 && Math.Abs(d % 1) < 1e-9 && Math.Abs(d) < 1e15 => d.ToString("N0", CultureInfo.InvariantCulture),
        double d => d.ToString("G4", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => value.ToString() ?? "",
    };

    /// <summary>A cell for CSV: full precision, invariant.</summary>
    public static string Raw(object? value) => value switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => value.ToString() ?? "",
    };
}
