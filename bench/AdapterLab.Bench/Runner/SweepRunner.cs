using System.Text.Json;

namespace AdapterLab.Bench.Runner;

/// <summary>Runs one platform sweep to its end for a bench scenario: resumed by name when a sitting was interrupted.</summary>
public static class SweepRunner
{
    /// <summary>
    /// Creates the sweep of <paramref name="definition"/> — or picks up the unfinished one of its name — and follows it,
    /// printing its progress as <paramref name="label"/>, until it finishes; returns its details (<c>GET /api/sweeps/{id}</c>).
    /// A sweep that ends stopped or failed is a <see cref="BenchException"/>.
    /// </summary>
    public static async Task<JsonElement> RunAsync(PlatformClient client, string definition, string label, CancellationToken ct)
    {
        string name = JsonDocument.Parse(definition).RootElement.GetProperty("name").GetString()!;
        var existing = (await client.GetJsonAsync("api/sweeps", ct)).EnumerateArray()
            .FirstOrDefault(s => s.GetProperty("name").GetString() == name && s.GetProperty("status").GetString() is not ("stopped" or "failed"));
        bool resumed = existing.ValueKind == JsonValueKind.Object;
        Guid id = resumed ? existing.GetProperty("id").GetGuid() : await client.CreateSweepAsync(definition, ct);
        Console.WriteLine($"  {label}: sweep {id} ({(resumed ? "resumed" : "created")})");
        string? last = null;
        while (true)
        {
            var sweep = await client.GetJsonAsync($"api/sweeps/{id}", ct);
            var summary = sweep.GetProperty("summary");
            string status = summary.GetProperty("status").GetString()!;
            string line = $"  {label}: {status}, {summary.GetProperty("trials").GetInt32()} trials, {summary.GetProperty("running").GetInt32()} running, {summary.GetProperty("stepsTrained").GetInt64()} steps";
            if (line != last) Console.WriteLine(line);
            last = line;
            if (status is "stopped" or "failed") throw new BenchException($"sweep {id} ended {status}: {summary.GetProperty("note").GetString()}");
            if (status == "finished") return sweep;
            await Task.Delay(TimeSpan.FromSeconds(5), ct);
        }
    }
}
