using System.Net.Http.Json;
using System.Text.Json;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Bench.Runner;

/// <summary>The benchmark talks to the platform like any user: over the REST API with an API key.</summary>
public sealed class PlatformClient(HttpClient http)
{
    public static PlatformClient Create(string apiUrl, string apiKey)
    {
        var http = new HttpClient { BaseAddress = new Uri(apiUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        return new PlatformClient(http);
    }

    public async Task<Guid> SubmitAsync(ExperimentSpec spec, CancellationToken ct)
    {
        using var content = new StringContent(SpecJson.Serialize(spec), System.Text.Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("api/experiments", content, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw BenchException.From(response.StatusCode, $"submitting '{spec.Name}'", body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }

    /// <summary>Creates a sweep (<c>POST /api/sweeps</c>) from its definition; its id.</summary>
    public async Task<Guid> CreateSweepAsync(string definition, CancellationToken ct)
    {
        using var content = new StringContent(definition, System.Text.Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("api/sweeps", content, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw BenchException.From(response.StatusCode, "creating a sweep", body);
        return JsonDocument.Parse(body).RootElement.GetProperty("summary").GetProperty("id").GetGuid();
    }

    /// <summary>The registered backbone of that name (<c>GET /api/backbones</c>), or null.</summary>
    public async Task<JsonElement?> FindBackboneAsync(string name, CancellationToken ct)
    {
        foreach (var b in (await GetJsonAsync("api/backbones", ct)).EnumerateArray())
            if (b.GetProperty("name").GetString() == name) return b;
        return null;
    }

    public Task<JsonElement> GetAsync(Guid id, CancellationToken ct) => GetJsonAsync($"api/experiments/{id}", ct);

    /// <summary>Waits for a terminal state, printing progress; returns the experiment document.</summary>
    public async Task<JsonElement> WaitAsync(Guid id, string label, CancellationToken ct, int pollMilliseconds = 2000)
    {
        string? lastLine = null;
        while (true)
        {
            var e = await GetAsync(id, ct);
            var status = e.GetProperty("status").GetString();
            var step = e.TryGetProperty("step", out var s) ? s.GetInt64() : 0;
            var total = e.TryGetProperty("totalSteps", out var t) ? t.GetInt64() : 0;
            var line = $"  {label}: {status} {step}/{total}";
            if (line != lastLine) Console.WriteLine(line);
            lastLine = line;
            if (status is "Succeeded" or "Failed" or "Cancelled") return e;
            await Task.Delay(TimeSpan.FromMilliseconds(pollMilliseconds), ct);
        }
    }

    public async Task<JsonElement> GetJsonAsync(string path, CancellationToken ct)
    {
        using var response = await http.GetAsync(path, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw BenchException.From(response.StatusCode, $"GET /{path}", body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static readonly System.Text.Json.JsonSerializerOptions PredictionsJson = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>
    /// An experiment's floor on a metric (the trainer's floor predictor scored on the same test examples, from its stored
    /// predictions: the majority class for accuracy), or null when it stored none.
    /// </summary>
    public async Task<double?> FloorAsync(JsonElement experiment, string split, string domain, string metric, CancellationToken ct, string task = "classification") =>
        AdapterLab.Contracts.Predictions.PredictionTables.Floor(await PredictionsAsync(experiment, ct), split, task, domain, metric)?.Value;

    /// <summary>An experiment's stored per-example predictions (every evaluation), or null when it stored none.</summary>
    public async Task<AdapterLab.Contracts.Predictions.PredictionsFile?> PredictionsAsync(JsonElement experiment, CancellationToken ct)
    {
        using var response = await http.GetAsync($"api/experiments/{experiment.GetProperty("id").GetString()}/predictions", ct);
        return response.IsSuccessStatusCode
            ? await response.Content.ReadFromJsonAsync<AdapterLab.Contracts.Predictions.PredictionsFile>(PredictionsJson, ct)
            : null;
    }

    /// <summary>The mean of a run's branch ratios at its last measured step (null for methods without a branch).</summary>
    public async Task<double?> FinalBranchRatioAsync(JsonElement experiment, CancellationToken ct)
    {
        var points = await GetJsonAsync($"api/experiments/{experiment.GetProperty("id").GetString()}/metrics?split=validation&limit=50000", ct);
        var ratios = points.EnumerateArray().Where(p => p.GetProperty("name").GetString()!.StartsWith("branch-ratio:", StringComparison.Ordinal))
            .Select(p => (Step: p.GetProperty("step").GetInt64(), Value: p.GetProperty("value").GetDouble())).ToList();
        if (ratios.Count == 0) return null;
        long last = ratios.Max(r => r.Step);
        return ratios.Where(r => r.Step == last).Average(r => r.Value);
    }

    /// <summary>Streams one of an experiment's stored blobs (checkpoint, backbone) to <paramref name="destination"/>.</summary>
    public async Task DownloadBlobAsync(Guid experiment, string hash, Stream destination, CancellationToken ct)
    {
        using var response = await http.GetAsync($"api/experiments/{experiment}/checkpoints/{hash}/download", HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
            throw BenchException.From(response.StatusCode, $"GET blob {hash} of {experiment}", await response.Content.ReadAsStringAsync(ct));
        await (await response.Content.ReadAsStreamAsync(ct)).CopyToAsync(destination, ct);
    }

    /// <summary>Registers a backbone from a safetensors file (<c>POST /api/backbones</c>); returns its blob hash.</summary>
    public async Task<string> ImportBackboneAsync(string name, string preset, string path, CancellationToken ct)
    {
        await using var file = File.OpenRead(path);
        using var content = new StreamContent(file);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        using var response = await http.PostAsync($"api/backbones?name={Uri.EscapeDataString(name)}&preset={Uri.EscapeDataString(preset)}", content, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw BenchException.From(response.StatusCode, $"importing the backbone '{name}'", body);
        return JsonDocument.Parse(body).RootElement.GetProperty("blob").GetString()!;
    }

    /// <summary>The underlying client (perf scenarios stream blobs with other headers).</summary>
    public Uri BaseAddress => http.BaseAddress!;

    public async Task<JsonElement> TransitionsAsync(Guid id, CancellationToken ct) =>
        (await http.GetFromJsonAsync<JsonElement>($"api/experiments/{id}/transitions", ct)).Clone();

    /// <summary>Requests cancellation; a 409 (already finished) is fine.</summary>
    public async Task CancelAsync(Guid id, CancellationToken ct)
    {
        using var response = await http.PostAsync($"api/experiments/{id}/cancel", null, ct);
        if (!response.IsSuccessStatusCode && (int)response.StatusCode != 409)
            throw new InvalidOperationException($"cancel {id} failed ({(int)response.StatusCode})");
    }

    /// <summary>Issues an agent token named <paramref name="name"/> (<c>POST /api/agent-tokens</c>, admin): its id and the secret.</summary>
    public async Task<(Guid Id, string Token)> IssueAgentTokenAsync(string name, int expiresInDays, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("api/agent-tokens", new { name, expiresInDays }, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw BenchException.From(response.StatusCode, $"issuing an agent token for {name}", body);
        var doc = JsonDocument.Parse(body).RootElement;
        return (doc.GetProperty("id").GetGuid(), doc.GetProperty("token").GetString()!);
    }

    /// <summary>Revokes an agent token (<c>DELETE /api/agent-tokens/{id}</c>).</summary>
    public async Task RevokeAgentTokenAsync(Guid id, CancellationToken ct)
    {
        using var response = await http.DeleteAsync($"api/agent-tokens/{id}", ct);
        if (!response.IsSuccessStatusCode) throw BenchException.From(response.StatusCode, $"revoking agent token {id}", await response.Content.ReadAsStringAsync(ct));
    }

    /// <summary>GET of a relative API path; returns the status and the body length (for latency measurements).</summary>
    public async Task<(int Status, long Bytes)> GetRawAsync(string path, CancellationToken ct)
    {
        using var response = await http.GetAsync(path, HttpCompletionOption.ResponseContentRead, ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        return ((int)response.StatusCode, bytes.LongLength);
    }
}
