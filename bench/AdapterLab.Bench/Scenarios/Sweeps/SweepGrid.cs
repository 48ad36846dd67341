using System.Text.Json;
using AdapterLab.Bench.Runner;
using AdapterLab.Bench.Scenarios.Adapters;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Bench.Scenarios.Sweeps;

/// <summary>
/// The sweep bench's grid (<see cref="SweepBenchProtocol"/>): every configuration with the grid's seeds at the full budget,
/// through the classification report's archive, chosen on mean validation accuracy. The bench and its pilot read it here.
/// </summary>
public sealed record SweepGrid(Dictionary<string, JsonElement> Runs, Dictionary<(double X, int D), double> Validation, (double X, int D) Winner)
{
    public static string Key(SweepBenchProtocol p, (double X, int D) c, int seed) =>
        AdaptersProtocol.Key(p.Cell, p.Cell.Backbone, SweepBenchProtocol.Variant(c.D), c.X, seed);

    public static ExperimentSpec Spec(SweepBenchProtocol p, ReportBackbones.Backbone backbone, (double X, int D) c, int seed) =>
        p.Report.Spec(p.Cell, backbone.Named, backbone.Label, SweepBenchProtocol.Variant(c.D), c.X, seed) with { Priority = SweepBenchProtocol.Priority };

    /// <summary>Runs (or reads) the grid's runs; every one must have succeeded.</summary>
    public static async Task<SweepGrid> RunAsync(SweepBenchProtocol p, ReportBackbones.Backbone backbone, ExperimentBatch batch, CancellationToken ct)
    {
        var seeds = p.Report.GridSeeds;
        var runs = await batch.RunAsync(p.Grid.SelectMany(c => seeds.Select(s => (Key(p, c, s), Spec(p, backbone, c, s)))).ToList(), ct);
        ExperimentBatch.RequireSucceeded(runs);
        var (validation, winner) = Choose(p, key => runs[key]);
        return new SweepGrid(runs, validation, winner);
    }

    /// <summary>The grid's choice from its runs (<paramref name="run"/>: a run key's experiment, or null): each configuration's mean validation accuracy over the grid's seeds, and the best.</summary>
    public static (Dictionary<(double X, int D), double> Validation, (double X, int D) Winner) Choose(SweepBenchProtocol p, Func<string, JsonElement?> run)
    {
        var validation = p.Grid.ToDictionary(c => c, c => p.Report.GridSeeds.Average(s =>
            (run(Key(p, c, s)) is { } e ? ExperimentBatch.Result(e, "validation", p.Cell.Domain, "accuracy") : null) ?? double.NaN));
        return (validation, validation.OrderByDescending(v => v.Value).First().Key);
    }
}
