using System.Text.Json;
using AdapterLab.Bench.Runner;
using static AdapterLab.Bench.Runner.ReportFormat;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Contracts.Specs;
using AdapterLab.Statistics;

namespace AdapterLab.Bench.Scenarios.Adapters;

/// <summary>
/// What the classification report's runs say about one configuration (five seeds at its chosen rate, scored on the same
/// test images) and the two margin gates of ml-spec. Read twice: by the scenario as soon as a cell's gate runs finish
/// (gates first: a cell whose gates fail trains nothing else), and by the report over every run.
/// </summary>
public sealed class AdaptersEvidence(
    AdaptersProtocol protocol,
    IReadOnlyDictionary<string, JsonElement> runs,
    Func<string, PredictionsFile?> predictions,
    Func<string, double?> branchRatios,
    Func<AdaptersProtocol.Cell, string, double> chosen)
{
    /// <summary>"Close to" (TOST) and the margins of the gates (ml-spec).</summary>
    public const double EquivalenceMargin = 0.01, BackboneGateMargin = 0.10, FinetuneGateMargin = 0.05;

    public sealed record Config(string Label, MethodSpec Method, double Multiplier, SeedResults Seeds, SeedExampleTable? Table,
        Estimate? Estimate, long Trainable, double Percent, double? BranchRatio, string Collapsed, ConfusionMatrix? Confusion, IReadOnlyList<string> Ids);

    /// <summary>A configuration's five seeds at the rate its cell's grid chose.</summary>
    public Config Result(AdaptersProtocol.Cell cell, string backbone, MethodSpec m)
    {
        double x = chosen(cell, m.Name);
        var keys = protocol.Seeds.Select(s => AdaptersProtocol.Key(cell, backbone, m, x, s)).ToList();
        var docs = keys.Select(k => runs[k]).ToList();
        var files = keys.Select(predictions).ToList();
        var table = PredictionTables.OutcomeTable(files, "test", Tasks.Classification, cell.Domain, "accuracy");
        var seeds = SeedResults.Of(docs.Select(d => ExperimentBatch.Result(d, "test", cell.Domain, "accuracy") ?? double.NaN));
        long trainable = docs[0].GetProperty("trainableParameters").GetInt64();
        // Collapse: a class taking > 90 % of a seed's test predictions (ml-spec); the first seed's confusion matrix is shown.
        var sets = files.Select(f => PredictionTables.Model(f, "test", Tasks.Classification, cell.Domain)).ToList();
        var matrices = sets.Select(s => s is { Labels: { } l, Predicted: { } p } ? ConfusionMatrix.From(l, p, cell.Classes) : null).ToList();
        var collapsed = matrices.Select((c, i) => (c, i)).Where(x => x.c?.Collapsed == true).Select(x => $"seed {protocol.Seeds[x.i]}").ToList();
        // Accuracy is a proportion: its interval is clamped to [0, 1] (few seeds give wide t intervals).
        return new Config(AdaptersProtocol.Describe(m), m, x, seeds, table, table is null ? null : Intervals.Mean(table).ClampedTo(0, 1), trainable,
            AdaptersProtocol.PercentOfBackbone(trainable, ReportBackbones.Preset), branchRatios(keys[0]),
            collapsed.Count == 0 ? "no" : $"**collapsed** ({string.Join(", ", collapsed)})", matrices[0],
            docs.Select(d => d.GetProperty("id").GetString()!).ToList());
    }

    /// <summary>The linear probe on a random backbone at the probe's chosen rate: the backbone gate's control and a floor row.</summary>
    public Config RandomProbe(AdaptersProtocol.Cell cell) =>
        Result(cell, "random", AdaptersProtocol.MainVariant(Methods.LinearProbe)) with { Label = "linear-probe on a random backbone (control)" };

    public static Difference? Paired(Config a, Config b, double shift = 0) =>
        a.Table is { } ta && b.Table is { } tb ? Comparisons.Paired(shift == 0 ? ta : Shift(ta, -shift), tb) : null;

    /// <summary>A margin gate: a − b − margin is positive and significant (one paired test, not part of the findings' family).</summary>
    public static (bool Passed, string Evidence) MarginGate(string label, Config a, Config b, double margin)
    {
        var shifted = Paired(a, b, margin);
        var plain = Paired(a, b);
        if (shifted is null || plain is null) return (false, $"{label}: predictions missing");
        // Passes when the shifted difference is positive and its two-sided test rejects at α: a one-sided test of
        // "a − b > margin" at α/2, whose p-value is what the evidence shows (a two-sided p alone reads as a pass even
        // when the difference is significantly below the margin).
        bool passed = shifted.Estimate.Value > 0 && shifted.PValue < Verdict.Alpha;
        double oneSided = shifted.Estimate.Value > 0 ? shifted.PValue / 2 : 1 - shifted.PValue / 2;
        return (passed, $"{label}: {SeedResults.Signed(plain.Estimate.Value)} [{SeedResults.Signed(plain.Estimate.Lower)}, {SeedResults.Signed(plain.Estimate.Upper)}]; one-sided {Verdict.P(oneSided)} for a difference > {margin * 100:0} points (needs < {Verdict.Alpha / 2:0.###})");
    }

    /// <summary>
    /// The two margin gates of a cell, from its gate runs alone (five seeds of the probe, of full fine-tuning and of the
    /// random-backbone probe): the pretrained probe beats the random one by ≥ 10 points; full fine-tuning beats the probe by
    /// ≥ 5 points (a cell without full fine-tuning, as in a smoke run, fails it: "not run").
    /// </summary>
    public IReadOnlyList<Gate> MarginGates(AdaptersProtocol.Cell cell)
    {
        var probe = Result(cell, cell.Backbone, AdaptersProtocol.MainVariant(Methods.LinearProbe));
        var backbone = MarginGate(cell.Key, probe, RandomProbe(cell), BackboneGateMargin);
        var finetune = protocol.Methods(cell).Any(m => m.Name == Methods.FullFinetune)
            ? MarginGate(cell.Key, Result(cell, cell.Backbone, AdaptersProtocol.MainVariant(Methods.FullFinetune)), probe, FinetuneGateMargin)
            : (Passed: false, Evidence: "not run");
        return
        [
            new($"the pretrained backbone's probe beats the random backbone's by ≥ {BackboneGateMargin * 100:0} points", backbone.Passed, backbone.Evidence),
            new($"full fine-tuning beats the linear probe by ≥ {FinetuneGateMargin * 100:0} points", finetune.Passed, finetune.Evidence),
        ];
    }
}
