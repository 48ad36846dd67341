using AdapterLab.Bench.Perf;
using AdapterLab.Bench.Runner;

namespace AdapterLab.Bench.Scenarios.Perf;

/// <summary>
/// The performance scenarios of issue 9. In-process ones (training, data, memory, micro) need no platform and run
/// before the API key is checked; platform ones drive the live services. <c>seed</c> fills the database for perf-query.
/// </summary>
public static class PerfScenarios
{
    public static IReadOnlyList<IScenario> InProcess(string resultsDir, bool quick) =>
    [
        new PerfMicroScenario(resultsDir, quick),
        new PerfTrainingScenario(resultsDir, quick),
        new PerfDataScenario(resultsDir, quick),
        new PerfMemoryScenario(resultsDir, quick),
        new PerfServingScenario(resultsDir, quick),
        new CrossCheckScenario(resultsDir, quick),
        new DeviceScenario(resultsDir, quick),
        new Sweeps.SweepPowerScenario(resultsDir, quick),
    ];

    public static IReadOnlyList<IScenario> Platform(PlatformClient client, string resultsDir, bool quick) =>
    [
        new PerfDispatchScenario(client, resultsDir, quick),
        new PerfIngestScenario(client, resultsDir, quick),
        new PerfQueryScenario(client, resultsDir, quick),
        new PerfCompareScenario(client, resultsDir, quick),
        new PerfCheckpointScenario(client, resultsDir, quick),
        new PerfFleetScenario(client, resultsDir, quick),
    ];

    /// <summary>
    /// Handles <c>seed …</c>, <c>summary</c> and selections made only of in-process scenarios (no API key needed); null: not handled,
    /// the caller goes on with the platform scenarios.
    /// </summary>
    public static async Task<int?> TryRunAsync(string[] args, IReadOnlyList<string> names, string resultsDir, bool quick)
    {
        if (names.Count > 0 && names[0] == "seed") return await SeedCommand.RunAsync(args.Skip(1).ToArray());
        if (names.Count > 0 && names[0] == "summary")
        {
            // Regenerates perf-summary.md from the perf-*.json files present (e.g. after runs in separate invocations).
            await PerfReport.WriteSummaryAsync(resultsDir, CancellationToken.None);
            return 0;
        }
        var local = InProcess(resultsDir, quick);
        if (names.Count == 0 || !names.All(n => local.Any(s => s.Name == n))) return null;
        Directory.CreateDirectory(resultsDir);
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        foreach (var s in local.Where(s => names.Contains(s.Name)))
        {
            Console.WriteLine($"== {s.Name}{(quick ? " (quick)" : "")}");
            await s.RunAsync(cts.Token);
        }
        return 0;
    }
}
