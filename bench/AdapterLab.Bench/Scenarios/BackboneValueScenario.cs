using System.Globalization;
using System.Text;
using System.Text.Json;
using AdapterLab.Bench.Runner;
using static AdapterLab.Bench.Runner.ReportFormat;
using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Contracts.Specs;
using AdapterLab.Statistics;

namespace AdapterLab.Bench.Scenarios;

/// <summary>
/// Are the platform's backbones worth adapting? Through the platform, on vit-tiny-ci:
/// <list type="bullet">
/// <item>ShapesWorld: a supervised backbone and an MAE backbone pretrained on the stream of fresh scenes (fog and the
/// downstream label families held out), each linear-probed on every held-out family in the held-out domain, against
/// the same probe on a random backbone.</item>
/// <item>Real images: an MAE backbone pretrained on the imported MNIST digits' training split (no labels), probed with
/// 100 and 10 labels per class, against a random backbone; test = the 10 % of images no training run reads.</item>
/// </list>
/// Every comparison is paired by seed and by test image (intervals include test-set sampling). The report's own gate —
/// the issue's acceptance check — passes when some ShapesWorld backbone beats the random backbone's probe by at least
/// 10 points on a held-out family in the held-out domain, clearing every floor there, and the MNIST MAE backbone does
/// the same on real digits with 100 labels per class.
/// </summary>
public sealed class BackboneValueScenario(PlatformClient client, string resultsDir, bool quick) : IScenario
{
    public string Name => "backbone-value";

    private const string Preset = ReportBackbones.Preset;
    private const double Margin = 0.10;
    private static readonly string[] HeldOutFamilies = ["object-count", "disc-count", "touching", "largest-quadrant"];
    private const string HeldOutDomain = ReportBackbones.HeldOutDomain;

    public async Task RunAsync(CancellationToken ct)
    {
        await ReportBackbones.RequireDigitsAsync(client, ct);
        var archive = new RunArchive(RunArchive.Root(resultsDir, quick), Name + (quick ? "-quick" : ""));
        var ledger = new RunLedger(Path.Combine(resultsDir, ".ledger", Name + ".json"));
        int probeSteps = quick ? 100 : 300;
        int[] seeds = quick ? [1, 2] : [1, 2, 3];
        var backbones = ReportBackbones.All(quick).Select(b => (b.Key, b.Label, b.Spec)).ToArray();
        int supervisedSteps = backbones[0].Spec.Training.Steps!.Value, streamSteps = backbones[1].Spec.Training.Steps!.Value, maeDigitSteps = backbones[2].Spec.Training.Steps!.Value;
        Console.WriteLine($"[{Name}] pretraining {backbones.Length} backbones ({supervisedSteps} supervised and {streamSteps} MAE stream steps, {maeDigitSteps} MNIST steps)");
        var (pre, blobs) = await ReportBackbones.EnsureAsync(client, ReportBackbones.All(quick), archive, ct);
        var batch = new ExperimentBatch(client, ledger, archive, blobs);

        BackboneSpec Named(string key) => ReportBackbones.All(quick).Single(b => b.Key == key).Named;
        BackboneSpec RandomBackbone() => ReportBackbones.Random;
        ExperimentSpec Probe(string label, BackboneSpec backbone, DataSpec data, int seed) => new()
        {
            Name = $"bench: linear probe, {label}, seed {seed}", Kind = Kinds.Adapt, Backbone = backbone,
            Method = new MethodSpec { Name = Methods.LinearProbe }, Data = data,
            Training = new TrainingSpec { Steps = probeSteps, BatchSize = 64, Seed = seed }, Tags = ["bench", Name],
        };

        // Probes: ShapesWorld held-out families in the held-out domain; MNIST with 100 and 10 labels per class.
        var tasks = HeldOutFamilies.Select(f => (Key: f, Label: $"`{f}` on `{HeldOutDomain}`", Domain: HeldOutDomain,
                Data: new DataSpec { LabelFamily = f, SourceDomain = HeldOutDomain }, Backbones: new[] { "stream-supervised", "stream-mae" }, Classes: ShapesWorldCatalogue.FindLabelFamily(f)!.Classes.Count))
            .Concat(new[] { 100, 10 }.Select(k => (Key: $"mnist-{k}", Label: $"MNIST digits, {k} labels per class", Domain: "mnist",
                Data: new DataSpec { Dataset = Datasets.Folder, Path = "mnist", PerClass = k }, Backbones: new[] { "mnist-mae" }, Classes: 10)))
            .ToList();
        var runs = new List<(string, ExperimentSpec)>();
        foreach (var t in tasks)
            foreach (var seed in seeds)
            {
                foreach (var b in t.Backbones) runs.Add(($"{t.Key}/{b}/{seed}", Probe($"{t.Key} on {b}", Named(b), t.Data, seed)));
                runs.Add(($"{t.Key}/random/{seed}", Probe($"{t.Key} on a random backbone", RandomBackbone(), t.Data, seed)));
            }
        Console.WriteLine($"[{Name}] {runs.Count} linear probes ({seeds.Length} seeds)");
        var probes = await batch.RunAsync(runs, ct);
        var predictions = new Dictionary<string, PredictionsFile?>();
        foreach (var key in probes.Keys) predictions[key] = batch.Predictions(key);

        // Tables, claims and floors.
        var claims = new List<Claim>();
        var floorRows = new List<(string, SeedResults, double?)>();
        var rows = new List<object>();
        var md = new StringBuilder();
        md.AppendLine($"# Backbone value: linear probes on pretrained vs random {Preset} backbones{(quick ? " (quick)" : "")}");
        md.AppendLine();
        // Wall time from the experiments' own timestamps (first submission to last finish), so a re-rendered report keeps it.
        var all = pre.Values.Concat(probes.Values).ToList();
        var minutes = (all.Max(x => x.GetProperty("finishedAt").GetDateTimeOffset()) - all.Min(x => x.GetProperty("submittedAt").GetDateTimeOffset())).TotalMinutes;
        md.AppendLine($"Measured by `./platform bench backbone-value{(quick ? " --quick" : "")}` through the platform on {Machine.Describe()}; {minutes:F0} min from the first submission to the last result on {Agents(all)}.");
        md.AppendLine();
        md.AppendLine("**Backbones** (each pretrained once, seed 1; batch 64, AdamW 1e-3, 10 % warm-up, cosine):");
        md.AppendLine();
        foreach (var b in backbones)
        {
            var e = pre[b.Key];
            string metric = b.Spec.Method.Name == Methods.Mae ? "reconstruction-mse" : b.Spec.Data.LabelFamilies is { } heads ? $"accuracy:{heads[0]}" : "accuracy";
            string task = b.Spec.Method.Name == Methods.Mae ? "reconstruction" : "classification";
            string domain = b.Spec.Data.Dataset == Datasets.ShapesWorld ? "synthetic" : "mnist";
            var value = ExperimentBatch.Result(e, "test", domain, metric, task);
            // The MAE floor (the image-blind per-position prior) comes from the stored per-image parts; several-head
            // pretraining stores no per-example predictions, so its majority floor is on its curves only.
            var floor = b.Spec.Method.Name == Methods.Mae ? await client.FloorAsync(e, "test", domain, metric, ct, task) : null;
            var floorText = b.Spec.Method.Name == Methods.Mae
                ? $"floor {Fmt(floor)}, the image-blind prior{(floor is null ? " (not stored by this run)" : "")}"
                : "several-head runs store no per-example predictions, so no majority floor per head is stored";
            md.AppendLine($"- {b.Label}: {b.Spec.Training.Steps} steps × 64 {(b.Spec.Data.Stream == true ? $"fresh scenes (held out: `{HeldOutDomain}` and the families {string.Join(", ", ShapesWorldCatalogue.DownstreamLabelFamilies.Select(f => $"`{f}`"))})" : "images of the training split")}; " +
                          $"test {metric} {Fmt(value)} ({floorText}); experiment {e.GetProperty("id").GetString()}.");
        }
        md.AppendLine();
        md.AppendLine($"**Probes**: BatchNorm + linear head on frozen CLS features, {probeSteps} steps × 64 (the platform's recipe defaults for the probe), seeds {string.Join(", ", seeds)}. " +
                      "Test accuracy: mean over seeds with a 95 % interval that includes test-set sampling (seeds × test images); differences paired by seed and image. " +
                      $"A ShapesWorld probe trains on 1,000 `{HeldOutDomain}` scenes and is tested on 2,000; an MNIST probe trains on k labelled digits per class of the training split and is tested on the test split (10 %, never read by any training).");
        md.AppendLine();
        md.AppendLine("| task | backbone | test accuracy [95 % CI] | − random backbone [95 % CI] | majority floor | chance | verdict |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var t in tasks)
        {
            var random = Table(predictions, $"{t.Key}/random", seeds, t.Domain);
            var randomSeeds = SeedResults.Of(seeds.Select(s => ExperimentBatch.Result(probes[$"{t.Key}/random/{s}"], "test", t.Domain, "accuracy") ?? double.NaN));
            var floor = await client.FloorAsync(probes[$"{t.Key}/random/{seeds[0]}"], "test", t.Domain, "accuracy", ct);
            double chance = 1.0 / t.Classes;
            md.AppendLine($"| {t.Label} | random | {Ci(random is null ? null : Intervals.Mean(random))} | — | {Fmt(floor)} | {chance:0.000} | — |");
            foreach (var b in t.Backbones)
            {
                var table = Table(predictions, $"{t.Key}/{b}", seeds, t.Domain);
                var perSeed = SeedResults.Of(seeds.Select(s => ExperimentBatch.Result(probes[$"{t.Key}/{b}/{s}"], "test", t.Domain, "accuracy") ?? double.NaN));
                var label = backbones.Single(x => x.Key == b).Label;
                Difference? diff = table is not null && random is not null ? Comparisons.Paired(table, random) : null;
                Difference? shifted = table is not null && random is not null ? Comparisons.Paired(Shift(table, -Margin), random) : null;
                var claimText = $"{label}: probe on {t.Label} beats the random backbone's by ≥ {Margin * 100:0} points";
                claims.Add(new Claim(claimText, ClaimKind.Better, shifted, Untestable: shifted is null ? "predictions missing" : null));
                floorRows.Add(($"{label} / {t.Label}", perSeed, floor is { } f ? Math.Max(f, chance) : null));
                md.AppendLine($"| {t.Label} | {label} | {Ci(table is null ? null : Intervals.Mean(table))} | {DiffCi(diff)} | {Fmt(floor)} | {chance:0.000} | {(diff is null ? "untestable" : Verdict.For(diff, diff.PValue, true, 0).Words)} |");
                rows.Add(new { task = t.Key, backbone = b, mean = perSeed.Mean, perSeed = perSeed.Values, random = randomSeeds.Values, difference = diff?.Estimate.Value, lower = diff?.Estimate.Lower, upper = diff?.Estimate.Upper, floor, chance });
            }
        }
        md.AppendLine();

        var gates = new List<Gate> { SeedResults.SeedsDifferGate(floorRows.Select(r => (r.Item1, r.Item2)).ToList()) };
        var findings = Findings.Judge(gates, claims);
        bool Passed(Func<string, bool> which) => findings.Zip(claims).Any(x => which(x.Second.Text) && x.First.Outcome == FindingOutcome.Pass
            && floorRows[claims.IndexOf(x.Second)] is var fr && fr.Item3 is { } fl && !FloorCheck.AtFloor(fr.Item2.Estimate, fl, true));
        bool shapes = Passed(text => text.Contains($"on `{HeldOutDomain}`", StringComparison.Ordinal));
        bool digits = Passed(text => text.Contains("100 labels per class", StringComparison.Ordinal));
        md.AppendLine("## Findings");
        md.AppendLine();
        md.Append(Findings.Markdown(gates, findings));
        md.AppendLine();
        md.AppendLine("## The acceptance check");
        md.AppendLine();
        md.AppendLine($"- Some ShapesWorld backbone beats the random backbone's probe by ≥ {Margin * 100:0} points on a held-out family in the held-out domain `{HeldOutDomain}` (finding passed, Holm-adjusted) and clears its majority and chance floors beyond its interval: **{(shapes ? "passed" : "not met")}**.");
        md.AppendLine($"- The MNIST MAE backbone does the same with 100 labels per class: **{(digits ? "passed" : "not met")}**.");
        md.AppendLine();
        md.AppendLine($"Experiments: {string.Join(", ", pre.Select(p => $"{p.Key} {p.Value.GetProperty("id").GetString()}"))}; {probes.Count} probes tagged `{Name}`.");

        var json = JsonSerializer.Serialize(new
        {
            scenario = Name, quick, machine = Machine.Describe(), supervisedSteps, streamSteps, maeDigitSteps, probeSteps, seeds,
            minutes,
            backbones = backbones.Select(b => new { b.Key, id = pre[b.Key].GetProperty("id").GetString() }),
            results = rows,
            findings = findings.Select(f => new { f.Claim, outcome = f.Word, f.Evidence }),
            acceptance = new { shapesWorld = shapes, mnist = digits },
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{Name}.json"), json, ct);
        await File.WriteAllTextAsync(Path.Combine(resultsDir, $"{Name}.md"), md.ToString(), ct);
        Console.WriteLine(md.ToString());
    }

    /// <summary>Correctness of every test image × seed of one configuration (null when a run stored no predictions).</summary>
    private static SeedExampleTable? Table(Dictionary<string, PredictionsFile?> predictions, string prefix, int[] seeds, string domain) =>
        PredictionTables.OutcomeTable(seeds.Select(s => predictions[$"{prefix}/{s}"]).ToList(), "test", Tasks.Classification, domain, "accuracy");

    /// <summary>How many agents trained the runs (from their attempts), e.g. "2 agents".</summary>
    private static string Agents(IEnumerable<JsonElement> runs)
    {
        int n = runs.SelectMany(r => r.TryGetProperty("attempts", out var a) && a.ValueKind == JsonValueKind.Array ? a.EnumerateArray() : Enumerable.Empty<JsonElement>())
            .Select(a => a.TryGetProperty("agentId", out var id) ? id.GetString() : null).OfType<string>().Distinct().Count();
        return n == 1 ? "1 agent" : $"{n} agents";
    }
}
