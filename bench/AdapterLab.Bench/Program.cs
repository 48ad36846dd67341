using AdapterLab.Bench.Runner;
using AdapterLab.Bench.Scenarios;
using AdapterLab.Bench.Scenarios.Adapters;
using AdapterLab.Bench.Scenarios.Multitask;
using AdapterLab.Bench.Scenarios.Sweeps;

// ./platform bench [scenario…] [--quick] — runs scenarios against the running platform (API URL and key from the
// environment that ./platform sets: ADAPTERLAB_API_URL, ADAPTERLAB_API_KEY) and writes bench/results/.
var quick = args.Contains("--quick");
var names = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
var api = Environment.GetEnvironmentVariable("ADAPTERLAB_API_URL") ?? "http://127.0.0.1:5080";
var key = Environment.GetEnvironmentVariable("ADAPTERLAB_API_KEY");
var resultsDir = Environment.GetEnvironmentVariable("ADAPTERLAB_BENCH_RESULTS") ?? Path.Combine(Directory.GetCurrentDirectory(), "bench", "results");
try
{
    if (await AdapterLab.Bench.Scenarios.Perf.PerfScenarios.TryRunAsync(args, names, resultsDir, quick) is { } handled) return handled;
}
catch (BenchException ex)
{
    Console.Error.WriteLine($"bench: {ex.Message}");
    return 1;
}
if (string.IsNullOrEmpty(key))
{
    Console.Error.WriteLine("ADAPTERLAB_API_KEY is not set (./platform bench sets it from .local/secrets/api-key)");
    return 2;
}
Directory.CreateDirectory(resultsDir);
var client = PlatformClient.Create(api, key);
var scenarios = new List<IScenario>
{
    new QuickstartScenario(client, resultsDir, quick),
    new ExamplesScenario(client, resultsDir, quick),
    new BackboneValueScenario(client, resultsDir, quick),
    new MultitaskScenario(client, resultsDir, quick),
    new AdaptersScenario(client, resultsDir, quick),
    new SweepBenchScenario(client, resultsDir, quick),
    new SweepPilotScenario(client, resultsDir),
    new ChaosScenario(client, resultsDir, quick),
};
scenarios.AddRange(AdapterLab.Bench.Scenarios.Perf.PerfScenarios.InProcess(resultsDir, quick));
scenarios.AddRange(AdapterLab.Bench.Scenarios.Perf.PerfScenarios.Platform(client, resultsDir, quick));
// chaos kills agent processes, examples runs every example at full length (about half an hour), device verifies a
// training device (infra/gpu/verify.sh), crosscheck needs python3-torch, sweeps-pilot is a one-off pilot of the sweep bench (about an hour) and
// sweeps-power reads the sweep bench's archived runs (no training): they run only when named.
var selected = names.Count == 0 ? scenarios.Where(s => s is not (ChaosScenario or ExamplesScenario or CrossCheckScenario or DeviceScenario or SweepPilotScenario or SweepPowerScenario)).ToList() : scenarios.Where(s => names.Contains(s.Name)).ToList();
var demo = names is ["demo"];
var unknown = demo ? [] : names.Except(scenarios.Select(s => s.Name)).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"unknown scenario(s): {string.Join(", ", unknown)}; known: {string.Join(", ", scenarios.Select(s => s.Name))}");
    return 2;
}
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
try
{
    // One question first, so a wrong key or a stopped platform is one clear line, not a failure deep in a scenario.
    await client.GetJsonAsync("api/backbones", cts.Token);
    if (demo) return await AdapterLab.Bench.Story.DemoCommand.RunAsync(client, Environment.GetEnvironmentVariable("ADAPTERLAB_DASHBOARD_URL") ?? api, cts.Token);
    foreach (var s in selected)
    {
        Console.WriteLine($"== {s.Name}{(quick ? " (quick)" : "")}");
        await s.RunAsync(cts.Token);
    }
}
catch (BenchException ex)
{
    Console.Error.WriteLine($"bench: {ex.Message}");
    return 1;
}
catch (HttpRequestException ex) when (ex.StatusCode is null)
{
    Console.Error.WriteLine($"bench: cannot reach the platform at {api} ({ex.Message}); start it with ./platform up --detach");
    return 1;
}
catch (OperationCanceledException) when (cts.IsCancellationRequested)
{
    Console.Error.WriteLine("bench: interrupted");
    return 130;
}
return 0;
