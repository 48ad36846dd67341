using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AdapterLab.Bench.Runner;

namespace AdapterLab.Bench.Perf;

/// <summary>One reported figure: a median (or percentile) value, the same-run reference it is compared with, and its target.</summary>
public sealed record Figure(string Name, double Value, string Unit)
{
    /// <summary>What the value is compared with (measured in the same run), e.g. "peak matmul".</summary>
    public string? Reference { get; init; }
    public double? ReferenceValue { get; init; }
    /// <summary>Value / ReferenceValue (or the ratio the target is about).</summary>
    public double? Ratio { get; init; }
    /// <summary>Human-readable target, e.g. "≥ 0.70".</summary>
    public string? Target { get; init; }
    /// <summary>null: no target (reported only).</summary>
    public bool? Met { get; init; }
    /// <summary>Analytic floor or ceiling beside the measurement.</summary>
    public double? Analytic { get; init; }
    public string? Note { get; init; }
    public int? Repeats { get; init; }
}

/// <summary>
/// Collects a scenario's figures and writes <c>bench/results/&lt;scenario&gt;.json</c> and <c>.md</c>, then regenerates
/// <c>perf-summary.md</c> from every <c>perf-*.json</c> in the folder. Load averages are recorded at start and end.
/// </summary>
public sealed class PerfReport(string scenario, bool quick)
{
    private readonly double[] loadAtStart = Measure.LoadAverage();
    private readonly DateTimeOffset started = DateTimeOffset.UtcNow;
    public List<Figure> Figures { get; } = [];
    public List<string> Notes { get; } = [];
    public Dictionary<string, object?> Details { get; } = [];
    /// <summary>Further markdown sections (title, body) after the figures and notes.</summary>
    public List<(string Title, string Body)> Sections { get; } = [];

    public Figure Add(Figure f)
    {
        Figures.Add(f);
        Console.WriteLine($"  {f.Name}: {Fmt(f.Value)} {f.Unit}" + (f.Ratio is { } r ? $" (×{r:0.000} of {f.Reference})" : "") + (f.Target is { } t ? $" target {t}: {(f.Met == true ? "met" : f.Met == false ? "MISSED" : "n/a")}" : ""));
        return f;
    }

    public void Note(string text)
    {
        Notes.Add(text);
        Console.WriteLine($"  note: {text}");
    }

    public async Task WriteAsync(string resultsDir, CancellationToken ct)
    {
        var loadAtEnd = Measure.LoadAverage();
        Directory.CreateDirectory(resultsDir);
        var doc = new
        {
            scenario,
            quick,
            machine = Machine.Describe(),
            loadAverage = new { start = loadAtStart, end = loadAtEnd },
            started = started.ToString("u", CultureInfo.InvariantCulture),
            seconds = Math.Round((DateTimeOffset.UtcNow - started).TotalSeconds, 1),
            figures = Figures,
            notes = Notes,
            details = Details,
        };
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{scenario}.json"), JsonSerializer.Serialize(doc, options), ct);
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{scenario}.md"), Markdown(), ct);
        await WriteSummaryAsync(resultsDir, ct);

        string Markdown()
        {
            var md = new StringBuilder();
            md.AppendLine($"# {scenario}{(quick ? " (--quick)" : "")}");
            md.AppendLine();
            md.AppendLine($"Load average at start {string.Join(" / ", loadAtStart)}, at end {string.Join(" / ", loadAtEnd)}. Values are medians over repeats unless the name says otherwise; ratios are to a reference measured in the same run.");
            md.AppendLine();
            AppendTable(md, Figures);
            foreach (var n in Notes) md.AppendLine($"- {n}");
            foreach (var (title, body) in Sections)
            {
                md.AppendLine();
                md.AppendLine($"## {title}");
                md.AppendLine();
                md.AppendLine(body.TrimEnd());
            }
            return md.ToString();
        }
    }

    internal static void AppendTable(StringBuilder md, IEnumerable<Figure> figures)
    {
        md.AppendLine("| figure | value | reference | ratio | analytic | target | met |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var f in figures)
            md.AppendLine($"| {f.Name} | {Fmt(f.Value)} {f.Unit} | {(f.Reference is null ? "" : $"{f.Reference} {Fmt(f.ReferenceValue)}")} | {Fmt(f.Ratio)} | {Fmt(f.Analytic)} | {f.Target} | {(f.Met is null ? "" : f.Met.Value ? "yes" : "**no**")} |");
        md.AppendLine();
        var noted = figures.Where(f => !string.IsNullOrEmpty(f.Note)).ToList();
        foreach (var f in noted) md.AppendLine($"- {f.Name}: {f.Note}");
        if (noted.Count > 0) md.AppendLine();
    }

    /// <summary>perf-summary.md: the machine, then each perf scenario's figures, from the JSON files present.</summary>
    public static async Task WriteSummaryAsync(string resultsDir, CancellationToken ct)
    {
        var md = new StringBuilder();
        md.AppendLine("# Performance summary");
        md.AppendLine();
        md.AppendLine("Generated by `./platform bench perf-…` from the `perf-*.json` files beside this one. Every value is a median over repeats (or the named percentile); every speed is also a ratio to a reference measured in the same run, because this machine is shared. The load average during each scenario is quoted: figures taken above a load of about 2.5 on 2 cores are indicative only.");
        md.AppendLine();
        md.AppendLine($"Machine: `{JsonSerializer.Serialize(Machine.Describe())}`");
        md.AppendLine();
        foreach (var file in Directory.GetFiles(resultsDir, "perf-*.json").Order(StringComparer.Ordinal))
        {
            JsonNode? root;
            try { root = JsonNode.Parse(await File.ReadAllTextAsync(file, ct)); }
            catch (JsonException) { continue; }
            if (root is null) continue;
            var figs = root["figures"]?.Deserialize<List<Figure>>(new JsonSerializerOptions(JsonSerializerDefaults.Web) { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }) ?? [];
            md.AppendLine($"## {root["scenario"]}{(root["quick"]?.GetValue<bool>() == true ? " (--quick)" : "")}");
            md.AppendLine();
            md.AppendLine($"Measured {root["started"]} on {root["machine"]?["cpu"]} ({root["machine"]?["cores"]} cores); load average start {root["loadAverage"]?["start"]?.ToJsonString()}, end {root["loadAverage"]?["end"]?.ToJsonString()}.");
            md.AppendLine();
            AppendTable(md, figs);
            foreach (var n in root["notes"]?.AsArray() ?? []) md.AppendLine($"- {n}");
            md.AppendLine();
        }
        await File.WriteAllTextAsync(Path.Combine(resultsDir, "perf-summary.md"), md.ToString(), ct);
    }

    public static string Fmt(double? v) => v switch
    {
        null => "",
        { } x when !double.IsFinite(x) => "n/a",
        { } x when Math.Abs(x) >= 1000 => x.ToString("0", CultureInfo.InvariantCulture),
        { } x when Math.Abs(x) >= 10 => x.ToString("0.0", CultureInfo.InvariantCulture),
        { } x => x.ToString("0.000", CultureInfo.InvariantCulture),
    };
}
