using System.Text.Json;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Bench.Runner;

/// <summary>Submits a set of keyed specs (reusing runs already in the ledger that did not fail) and waits for all of them.</summary>
public sealed class ExperimentBatch(PlatformClient client, RunLedger ledger)
{
    public async Task<Dictionary<string, JsonElement>> RunAsync(IReadOnlyList<(string Key, ExperimentSpec Spec)> runs, CancellationToken ct)
    {
        var ids = new Dictionary<string, Guid>();
        foreach (var (key, spec) in runs)
        {
            if (ledger.TryGet(key, out var existing))
            {
                var e = await client.GetAsync(existing, ct);
                if (e.GetProperty("status").GetString() is not ("Failed" or "Cancelled"))
                {
                    ids[key] = existing;
                    continue;
                }
            }
            var id = await client.SubmitAsync(spec, ct);
            ledger.Record(key, id);
            ids[key] = id;
            Console.WriteLine($"  submitted {key} as {id}");
        }
        var results = new Dictionary<string, JsonElement>();
        foreach (var (key, id) in ids) results[key] = await client.WaitAsync(id, key, ct);
        return results;
    }

    /// <summary>A final metric from an experiment document (split, domain, metric), or null.</summary>
    public static double? Result(JsonElement experiment, string split, string domain, string metric, string task = "classification")
    {
        if (!experiment.TryGetProperty("results", out var results)) return null;
        foreach (var r in results.EnumerateArray())
            if (r.GetProperty("split").GetString() == split && r.GetProperty("domain").GetString() == domain
                && r.GetProperty("metric").GetString() == metric && r.GetProperty("task").GetString() == task)
                return r.GetProperty("value").GetDouble();
        return null;
    }
}
