using System.Globalization;
using System.Text;
using System.Text.Json;
using AdapterLab.Bench.Runner;
using static AdapterLab.Bench.Runner.ReportFormat;
using AdapterLab.Bench.Story;
using AdapterLab.Contracts.Specs;
using AdapterLab.Statistics;

namespace AdapterLab.Bench.Scenarios;

/// <summary>
/// The README's quick start, measured as a newcomer runs it: the example pretrain and the example adaptation submitted
/// together on the running platform (the adaptation waits for the backbone), timed from the first submission to the
/// adaptation's end; then the adaptation's other seeds and the random-backbone control (the same adaptation on an
/// untrained backbone), so the report can say whether the pretraining is what the adaptation learned from. Gates: the
/// pair within 3 minutes, the adaptation at least twice chance and above its majority-class floor.
/// </summary>
public sealed class QuickstartScenario(PlatformClient client, string resultsDir, bool quick) : IScenario
{
    public string Name => "quickstart";
    private const double BudgetSeconds = 180;

    public async Task RunAsync(CancellationToken ct)
    {
        var pretrain = ExampleSpecs.Load(ExampleSpecs.QuickPretrain);
        var probe = ExampleSpecs.Load(ExampleSpecs.QuickProbe);
        var control = ExampleSpecs.Load(ExampleSpecs.QuickControl);
        // A platform that already has the example's backbone (a demo ran) gets a fresh name, so the pair is timed in full.
        var fresh = $"{pretrain.Backbone.RegisterAs}-{DateTime.UtcNow:yyyyMMddHHmmss}";
        pretrain = pretrain with { Backbone = pretrain.Backbone with { RegisterAs = fresh }, Tags = ["bench", Name] };
        probe = probe with { Backbone = probe.Backbone with { Name = fresh }, Tags = ["bench", Name] };
        control = control with { Tags = ["bench", Name] };
        int[] seeds = quick ? [1, 2] : [1, 2, 3];

        Console.WriteLine($"[{Name}] the README pair: {ExampleSpecs.QuickPretrain} (as {fresh}) then {ExampleSpecs.QuickProbe}");
        var started = DateTimeOffset.UtcNow;
        var preId = await client.SubmitAsync(pretrain, ct);
        var probeIds = new Dictionary<int, Guid> { [seeds[0]] = await client.SubmitAsync(Seeded(probe, seeds[0]), ct) };
        var pre = await client.WaitAsync(preId, "pretrain", ct);
        var first = await client.WaitAsync(probeIds[seeds[0]], "adapt", ct);
        var pairSeconds = (Finished(first) - started).TotalSeconds;
        foreach (var e in new[] { pre, first })
            if (e.GetProperty("status").GetString() != "Succeeded") throw new BenchException($"{e.GetProperty("name").GetString()} ended {e.GetProperty("status").GetString()}");

        Console.WriteLine($"[{Name}] pair done in {pairSeconds:0} s; other seeds and the random-backbone control");
        foreach (var seed in seeds.Skip(1)) probeIds[seed] = await client.SubmitAsync(Seeded(probe, seed), ct);
        var controlIds = new Dictionary<int, Guid>();
        foreach (var seed in seeds) controlIds[seed] = await client.SubmitAsync(Seeded(control, seed), ct);
        var probes = new Dictionary<int, JsonElement> { [seeds[0]] = first };
        foreach (var seed in seeds.Skip(1)) probes[seed] = await client.WaitAsync(probeIds[seed], $"adapt seed {seed}", ct);
        var controls = new Dictionary<int, JsonElement>();
        foreach (var seed in seeds) controls[seed] = await client.WaitAsync(controlIds[seed], $"control seed {seed}", ct);

        string domain = probe.Data.SourceDomain ?? "synthetic";
        var family = AdapterLab.Contracts.Catalogue.ShapesWorldCatalogue.FindLabelFamily(probe.Data.LabelFamily!)!;
        double chance = 1.0 / family.Classes.Count;
        var p = SeedResults.Of(seeds.Select(s => ExperimentBatch.Result(probes[s], "test", domain, "accuracy") ?? double.NaN));
        var r = SeedResults.Of(seeds.Select(s => ExperimentBatch.Result(controls[s], "test", domain, "accuracy") ?? double.NaN));
        double readmeAccuracy = ExperimentBatch.Result(first, "test", domain, "accuracy") ?? double.NaN;
        double? floor = await client.FloorAsync(first, "test", domain, "accuracy", ct);
        double pretrainSeconds = (Finished(pre) - Started(pre)).TotalSeconds, probeSeconds = (Finished(first) - Started(first)).TotalSeconds;

        var gates = new List<Gate>
        {
            new($"the pair finishes within {BudgetSeconds:0} s of submission", pairSeconds <= BudgetSeconds, $"{pairSeconds:0} s (pretrain ran {pretrainSeconds:0} s, adaptation {probeSeconds:0} s)"),
            new("the adaptation reaches at least twice chance", p.Estimate.Lower >= 2 * chance,
                $"{p} vs 2 × chance = {2 * chance:0.000}: {(p.Estimate.Lower >= 2 * chance ? "the whole interval is above" : "the interval reaches below")}"),
            SeedResults.FloorGate("the adaptation above its majority-class floor", [("adaptation", p, floor)]),
        };
        var claims = new List<Claim> { SeedResults.Better("the pretrained backbone's adaptation beats the same adaptation on a random backbone", p, r) };
        var findings = Findings.Judge(gates, claims);

        var md = new StringBuilder();
        md.AppendLine($"# Quick start: the README's first pretrain + adaptation pair{(quick ? " (quick)" : "")}");
        md.AppendLine();
        md.AppendLine($"Submitted exactly as `examples/specs/{ExampleSpecs.QuickPretrain}` and `examples/specs/{ExampleSpecs.QuickProbe}` (the backbone renamed {fresh}), one agent with one slot on {Machine.Line()}.");
        md.AppendLine($"Pretrain: `{pretrain.Data.LabelFamily}` on `{pretrain.Data.SourceDomain}`, {pretrain.Training.Steps} steps × {pretrain.Training.BatchSize}; its test accuracy {Fmt(ExperimentBatch.Result(pre, "test", "synthetic", "accuracy"))}.");
        md.AppendLine($"Adaptation: `{probe.Method.Name}` on another task, `{probe.Data.LabelFamily}` ({family.Description}; {family.Classes.Count} classes, chance {chance:0.000}), {probe.Training.Steps} steps; control: the same on a random backbone (`examples/specs/{ExampleSpecs.QuickControl}`). Seeds {string.Join(", ", seeds)}; test accuracy on `{domain}` with a 95 % interval over seeds.");
        md.AppendLine();
        md.AppendLine("| run | time from submission | test accuracy |");
        md.AppendLine("|---|---|---|");
        md.AppendLine($"| pretrain | {(Finished(pre) - started).TotalSeconds:0} s | {Fmt(ExperimentBatch.Result(pre, "test", "synthetic", "accuracy"))} |");
        md.AppendLine($"| adaptation, seed {seeds[0]} (the README's pair) | {pairSeconds:0} s | {Fmt(readmeAccuracy)} |");
        md.AppendLine();
        md.AppendLine("| adaptation | test accuracy | floors |");
        md.AppendLine("|---|---|---|");
        md.AppendLine($"| on the pretrained backbone | {p} | chance {chance:0.000}, majority class {Fmt(floor)} |");
        md.AppendLine($"| on a random backbone (control) | {r} | |");
        md.AppendLine($"| difference | {SeedResults.Signed(p.Mean - r.Mean)} | {SeedResults.Verdict(p, r)} |");
        md.AppendLine();
        md.AppendLine("## Findings");
        md.AppendLine();
        md.Append(Findings.Markdown(gates, findings));
        md.AppendLine();
        md.AppendLine($"Experiments: pretrain {preId}; adaptations {string.Join(", ", probeIds.Values)}; controls {string.Join(", ", controlIds.Values)}.");

        var json = JsonSerializer.Serialize(new
        {
            scenario = Name, quick, machine = Machine.Describe(),
            pairSeconds, pretrainSeconds, adaptSeconds = probeSeconds, budgetSeconds = BudgetSeconds,
            pretrainTestAccuracy = ExperimentBatch.Result(pre, "test", "synthetic", "accuracy"),
            readmeAdaptAccuracy = readmeAccuracy, chance, majorityFloor = floor, seeds,
            adaptation = p, control = r, gates, findings,
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true });
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{Name}.json"), json, ct);
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{Name}.md"), md.ToString(), ct);
        Console.WriteLine(md.ToString());
    }

    private static ExperimentSpec Seeded(ExperimentSpec spec, int seed) => spec with { Training = spec.Training with { Seed = seed } };

    private static DateTimeOffset Started(JsonElement e) => e.GetProperty("startedAt").GetDateTimeOffset();
    private static DateTimeOffset Finished(JsonElement e) => e.GetProperty("finishedAt").GetDateTimeOffset();
}
