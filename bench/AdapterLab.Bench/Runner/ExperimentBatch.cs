using System.Text.Json;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Bench.Runner;

/// <summary>
/// Submits a set of keyed specs and waits for all of them, training nothing twice: a run archived by an earlier sitting
/// (<see cref="RunArchive"/>: same key, same spec, same backbone weights) is read from the archive; a run this platform
/// already holds (<see cref="RunLedger"/>, not failed or cancelled) is waited for; the rest are submitted. Every run that
/// succeeds is archived with its test predictions and final branch ratio.
/// </summary>
/// <param name="backboneBlobs">Registered backbone name → the sha256 of its weights on this platform (archived runs on other weights are not reused).</param>
/// <param name="extraEndpoints">Endpoints under <c>api/experiments/{id}/</c> archived with each run (e.g. <c>affinity</c>).</param>
public sealed class ExperimentBatch(PlatformClient client, RunLedger ledger, RunArchive archive, IReadOnlyDictionary<string, string> backboneBlobs,
    IReadOnlyList<string>? extraEndpoints = null)
{
    public async Task<Dictionary<string, JsonElement>> RunAsync(IReadOnlyList<(string Key, ExperimentSpec Spec)> runs, CancellationToken ct)
    {
        var results = new Dictionary<string, JsonElement>();
        var ids = new Dictionary<string, (Guid Id, string Spec)>();
        int archived = 0;
        foreach (var (key, spec) in runs)
        {
            var json = SpecJson.Serialize(spec);
            if (archive.Find(key) is { } record && RunArchive.Reusable(record, spec, json, backboneBlobs))
            {
                results[key] = record.Experiment;
                archived++;
                continue;
            }
            if (ledger.TryGet(key, out var existing))
            {
                var e = await client.GetAsync(existing, ct);
                if (e.GetProperty("status").GetString() is not ("Failed" or "Cancelled"))
                {
                    ids[key] = (existing, json);
                    continue;
                }
            }
            var id = await client.SubmitAsync(spec, ct);
            ledger.Record(key, id);
            ids[key] = (id, json);
            Console.WriteLine($"  submitted {key} as {id}");
        }
        if (archived > 0) Console.WriteLine($"  {archived} of {runs.Count} from the archive ({archive.Directory})");
        // Waited for in the order they finish (not in list order), so every finished run is archived at once: a sitting
        // that stops leaves nothing finished unarchived behind a run still training.
        var pending = ids.ToList();
        var lastLine = new Dictionary<string, string>();
        int reported = -1;
        while (pending.Count > 0)
        {
            var still = new List<KeyValuePair<string, (Guid Id, string Spec)>>();
            foreach (var (key, (id, json)) in pending)
            {
                var e = await client.GetAsync(id, ct);
                var status = e.GetProperty("status").GetString();
                var line = $"  {key}: {status} {(e.TryGetProperty("step", out var s) ? s.GetInt64() : 0)}/{(e.TryGetProperty("totalSteps", out var t) ? t.GetInt64() : 0)}";
                if (status != "Queued" && lastLine.GetValueOrDefault(key) != line) Console.WriteLine(line);
                lastLine[key] = line;
                if (status is not ("Succeeded" or "Failed" or "Cancelled"))
                {
                    still.Add(new(key, (id, json)));
                    continue;
                }
                if (status == "Succeeded")
                {
                    var extras = new Dictionary<string, JsonElement>();
                    foreach (var endpoint in extraEndpoints ?? []) extras[endpoint] = await client.GetJsonAsync($"api/experiments/{id}/{endpoint}", ct);
                    e = archive.Save(key, json, e, await client.PredictionsAsync(e, ct), await client.FinalBranchRatioAsync(e, ct), extras).Experiment;
                }
                results[key] = e;
            }
            pending = still;
            if (pending.Count > 0)
            {
                if (pending.Count != reported) Console.WriteLine($"  {ids.Count - pending.Count} of {ids.Count} finished");
                reported = pending.Count;
                await Task.Delay(TimeSpan.FromSeconds(Math.Clamp(pending.Count / 10.0, 2, 15)), ct);
            }
        }
        return results;
    }

    /// <summary>A run's archived test predictions (null when it stored none).</summary>
    /// <summary>The runs, when every one succeeded; otherwise the first that did not, with its reason, ends the report.</summary>
    public static Dictionary<string, JsonElement> RequireSucceeded(Dictionary<string, JsonElement> runs)
    {
        foreach (var (k, v) in runs)
            if (v.GetProperty("status").GetString() != "Succeeded")
                throw new BenchException($"run {k} ended {v.GetProperty("status").GetString()}: {(v.TryGetProperty("failureReason", out var r) ? r.GetString() : "")}");
        return runs;
    }

    public PredictionsFile? Predictions(string key) => archive.Find(key)?.Predictions;

    /// <summary>An archived endpoint of a run (see <c>extraEndpoints</c>).</summary>
    public JsonElement? Extra(string key, string endpoint) =>
        archive.Find(key)?.Extras is { } extras && extras.TryGetValue(endpoint, out var v) ? v : null;

    /// <summary>A run's mean branch ratio at its last measured step (null for methods without a branch).</summary>
    public double? BranchRatio(string key) => archive.Find(key)?.BranchRatio;

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
