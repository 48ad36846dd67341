using System.Text.Json;
using AdapterLab.Bench.Scenarios.Adapters;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Bench.Tests;

/// <summary>
/// The classification report's gates, read from runs as the scenario reads them mid-report (gates first): a cell whose full
/// fine-tuning does not clear the probe by the margin is not judged, and one that does is; and the report's wall time.
/// </summary>
public sealed class AdaptersGatesTests
{
    private static readonly AdaptersProtocol Protocol = new(quick: false);
    private static readonly AdaptersProtocol.Cell Cell = Protocol.Cells[0];
    private const int Examples = 800;

    /// <summary>Five seeds of the gate runs, each method right on a given share of the same test images.</summary>
    private static AdaptersEvidence Evidence(double probe, double finetune, double random)
    {
        var runs = new Dictionary<string, JsonElement>();
        var predictions = new Dictionary<string, PredictionsFile>();
        var labels = Enumerable.Range(0, Examples).Select(i => i % Cell.Classes).ToArray();
        void Add(string backbone, string method, double accuracy, int salt)
        {
            foreach (int seed in Protocol.Seeds)
            {
                var rng = new Random(seed * 1000 + salt);
                var predicted = labels.Select(l => rng.NextDouble() < accuracy ? l : (l + 1) % Cell.Classes).ToArray();
                string key = AdaptersProtocol.Key(Cell, backbone, AdaptersProtocol.MainVariant(method), 1, seed);
                double value = predicted.Zip(labels).Count(p => p.First == p.Second) / (double)Examples;
                runs[key] = JsonDocument.Parse(JsonSerializer.Serialize(new
                {
                    id = Guid.NewGuid(), status = "Succeeded", trainableParameters = 485,
                    results = new[] { new { split = "test", task = "classification", domain = Cell.Domain, metric = "accuracy", value } },
                })).RootElement;
                predictions[key] = new PredictionsFile
                {
                    Step = Protocol.Steps,
                    Sets = [new PredictionSet { Split = "test", Task = Tasks.Classification, Domain = Cell.Domain, Predictor = "model",
                        ExampleIds = labels.Select((_, i) => $"e{i}").ToList(), Labels = labels, Predicted = predicted }],
                };
            }
        }
        Add(Cell.Backbone, Methods.LinearProbe, probe, 1);
        Add(Cell.Backbone, Methods.FullFinetune, finetune, 2);
        Add("random", Methods.LinearProbe, random, 3);
        return new AdaptersEvidence(Protocol, runs, k => predictions.GetValueOrDefault(k), _ => null, (_, _) => 1);
    }

    [Fact]
    public void Full_fine_tuning_a_point_above_the_probe_fails_its_gate_and_the_backbone_gate_still_passes()
    {
        var gates = Evidence(probe: 0.70, finetune: 0.71, random: 0.45).MarginGates(Cell);
        Assert.True(gates[0].Passed, gates[0].Evidence);
        Assert.False(gates[1].Passed, gates[1].Evidence);
        Assert.Contains("for a difference > 5 points", gates[1].Evidence);
    }

    [Fact]
    public void Both_gates_pass_when_the_backbone_and_full_fine_tuning_clear_their_margins()
    {
        var gates = Evidence(probe: 0.70, finetune: 0.85, random: 0.45).MarginGates(Cell);
        Assert.All(gates, g => Assert.True(g.Passed, g.Evidence));
    }

    [Fact]
    public void A_pretrained_probe_a_few_points_above_a_random_backbone_fails_the_backbone_gate()
    {
        var gates = Evidence(probe: 0.50, finetune: 0.80, random: 0.47).MarginGates(Cell);
        Assert.False(gates[0].Passed, gates[0].Evidence);
    }

    [Fact]
    public void The_reports_wall_time_counts_overlapping_runs_once_and_no_pause_between_sittings()
    {
        var t0 = new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
        var intervals = new[]
        {
            (t0, t0.AddHours(1)), (t0.AddMinutes(30), t0.AddHours(1.5)), // two agents side by side: 1.5 h
            (t0.AddHours(10), t0.AddHours(10.5)),                          // the next sitting, after a 8.5 h pause
            (t0.AddHours(10.1), t0.AddHours(10.2)),                        // inside the previous run
        };
        Assert.Equal(2.0, AdapterLab.Bench.Runner.WallTime.BusyHours(intervals), 9);
        Assert.Equal(0, AdapterLab.Bench.Runner.WallTime.BusyHours([]));
        // A run that never started has no interval; a run cut off by a stopped platform and resumed in the next sitting
        // counts its two attempts, not the pause between them (the lost one ends at its last heartbeat).
        Assert.Empty(AdapterLab.Bench.Runner.WallTime.Of(JsonDocument.Parse("""{"status":"Cancelled","startedAt":null}""").RootElement));
        var resumed = JsonDocument.Parse("""
            {"status":"Succeeded","startedAt":"2026-12-06T10:00:00Z","finishedAt":"2026-12-06T20:10:00Z","attempts":[
              {"number":1,"status":"Lost","startedAt":"2026-12-06T10:00:00Z","lastHeartbeatAt":"2026-12-06T10:05:00Z","finishedAt":"2026-12-06T20:00:00Z"},
              {"number":2,"status":"Succeeded","startedAt":"2026-12-06T20:00:30Z","finishedAt":"2026-12-06T20:10:00Z"}]}
            """).RootElement;
        Assert.Equal(15.0 / 60 - 0.5 / 60, AdapterLab.Bench.Runner.WallTime.BusyHours(AdapterLab.Bench.Runner.WallTime.Of(resumed)), 9);
    }
}
