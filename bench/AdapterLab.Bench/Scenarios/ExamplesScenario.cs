using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AdapterLab.Bench.Runner;
using AdapterLab.Bench.Story;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Bench.Scenarios;

/// <summary>
/// Every example at full length, one after another in the order of <c>examples/README.md</c>, on the running platform
/// (one agent, one slot): how long each takes on this machine and what it reaches — the expected times the examples'
/// README quotes. Registered backbone names get this run's suffix so it can run beside a demo.
/// </summary>
public sealed partial class ExamplesScenario(PlatformClient client, string resultsDir, bool quick) : IScenario
{
    public string Name => "examples";

    [GeneratedRegex(@"\[`specs/([a-z0-9-]+\.json)`\]")]
    private static partial Regex ExampleLink();

    public async Task RunAsync(CancellationToken ct)
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(ExampleSpecs.Folder, "..", "README.md"), ct);
        var order = ExampleLink().Matches(readme).Select(m => m.Groups[1].Value).Distinct().ToList();
        var suffix = $"-ex{DateTime.UtcNow:MMddHHmm}";
        var rows = new List<Row>();
        foreach (var file in order)
        {
            var spec = ExampleSpecs.Load(file);
            spec = spec with
            {
                Backbone = spec.Backbone with
                {
                    RegisterAs = spec.Backbone.RegisterAs is { } r ? r + suffix : null,
                    Name = spec.Backbone.Name is { } n ? n + suffix : null,
                },
                Training = quick && spec.Kind != Kinds.Evaluate ? spec.Training with { Steps = Math.Min(spec.Training.Steps ?? 20, 20), Epochs = null } : spec.Training,
                Tags = [.. spec.Tags ?? [], "bench", Name],
            };
            var id = await client.SubmitAsync(spec, ct);
            var e = await client.WaitAsync(id, file, ct, pollMilliseconds: 3000);
            rows.Add(new Row(file, spec.Kind, spec.Method.Name, id, e.GetProperty("status").GetString()!,
                Seconds(e, "startedAt", "finishedAt"), Seconds(e, "submittedAt", "startedAt"), Headline(e, spec)));
        }

        var md = new StringBuilder();
        md.AppendLine($"# Every example at full length, in order{(quick ? " (quick: steps capped at 20)" : "")}");
        md.AppendLine();
        md.AppendLine($"One agent with one slot on {Machine.Line()}; each example submitted after the previous one finished. " +
                      "Run time is the agent's (start to finish), wait is queueing and dispatch.");
        md.AppendLine();
        md.AppendLine("| order | example | kind / method | status | run time | wait | headline test result |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            md.AppendLine($"| {i + 1} | `{r.File}` | {r.Kind} / {r.Method} | {r.Status} | {Dur(r.RunSeconds)} | {Dur(r.WaitSeconds)} | {r.Headline} |");
        }
        md.AppendLine();
        md.AppendLine($"Total run time {Dur(rows.Sum(r => r.RunSeconds ?? 0))}. Experiments: {string.Join(", ", rows.Select(r => r.Id))}.");
        var json = JsonSerializer.Serialize(new { scenario = Name, quick, machine = Machine.Describe(), examples = rows },
            new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true });
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{Name}.json"), json, ct);
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{Name}.md"), md.ToString(), ct);
        Console.WriteLine(md.ToString());
    }

    public sealed record Row(string File, string Kind, string Method, Guid Id, string Status, double? RunSeconds, double? WaitSeconds, string Headline);

    private static double? Seconds(JsonElement e, string from, string to) =>
        e.TryGetProperty(from, out var a) && a.ValueKind == JsonValueKind.String && e.TryGetProperty(to, out var b) && b.ValueKind == JsonValueKind.String
            ? (b.GetDateTimeOffset() - a.GetDateTimeOffset()).TotalSeconds
            : null;

    /// <summary>The example's main test figure: accuracy on its source domain, or each dense task's first metric there.</summary>
    private static string Headline(JsonElement e, ExperimentSpec spec)
    {
        if (!e.TryGetProperty("results", out var results)) return "—";
        var domain = spec.Data.SourceDomain ?? "synthetic";
        var test = results.EnumerateArray()
            .Where(r => r.GetProperty("split").GetString() == "test" && r.GetProperty("domain").GetString() == domain && !r.GetProperty("metric").GetString()!.Contains('@'))
            .GroupBy(r => r.GetProperty("task").GetString())
            .Select(g => g.First())
            .Select(r => $"{(r.GetProperty("task").GetString() == "classification" ? "" : r.GetProperty("task").GetString() + " ")}{r.GetProperty("metric").GetString()} {r.GetProperty("value").GetDouble().ToString("0.000", CultureInfo.InvariantCulture)}")
            .ToList();
        return test.Count == 0 ? "—" : $"{string.Join(", ", test)} ({domain})";
    }

    private static string Dur(double? seconds) => seconds is not { } s ? "—" : s < 90 ? $"{s:0} s" : $"{s / 60:0.0} min";
}
