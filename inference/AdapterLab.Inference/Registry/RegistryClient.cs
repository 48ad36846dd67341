using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace AdapterLab.Inference.Registry;

/// <summary>A registered version as the web's serving API describes it (the fields serving needs).</summary>
public sealed record ServedVersion(string Model, int Version, string Method, string Preset, string AdapterBlob, string BackboneBlob, JsonElement Spec);

/// <summary>
/// Reads registered versions and their blobs from the web's serving API with this host's own key (<c>models:serve</c>).
/// Versions never change once registered, so manifests are cached for good; blobs are downloaded once, verified against
/// their sha256 before use, and kept on disk by hash.
/// </summary>
public sealed class RegistryClient(HttpClient http, IOptions<InferenceOptions> options, ILogger<RegistryClient> log)
{
    private readonly ConcurrentDictionary<(string, int), ServedVersion> versions = new();
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> downloads = new(StringComparer.Ordinal);
    private readonly string cache = Path.Combine(options.Value.ResolvedWorkDirectory, "blobs");

    /// <summary>The version, or null when the registry has no such version.</summary>
    public async Task<ServedVersion?> VersionAsync(string model, int version, CancellationToken ct)
    {
        if (versions.TryGetValue((model, version), out var known)) return known;
        using var response = await http.GetAsync($"api/serving/models/{Uri.EscapeDataString(model)}/versions/{version}", ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        var v = await response.Content.ReadFromJsonAsync<ServedVersion>(JsonSerializerOptions.Web, ct)
                ?? throw new InvalidDataException("the registry answered an empty version");
        return versions.GetOrAdd((model, version), v);
    }

    /// <summary>A local, verified copy of the blob (downloaded once however many requests ask at the same time).</summary>
    public Task<string> BlobAsync(string sha256, CancellationToken ct)
    {
        var lazy = downloads.GetOrAdd(sha256, h => new Lazy<Task<string>>(() => DownloadAsync(h)));
        var task = lazy.Value;
        if (task.IsFaulted) downloads.TryRemove(new KeyValuePair<string, Lazy<Task<string>>>(sha256, lazy));
        return task.WaitAsync(ct);
    }

    private async Task<string> DownloadAsync(string sha256)
    {
        Directory.CreateDirectory(cache);
        var path = Path.Combine(cache, sha256);
        if (File.Exists(path)) return path;
        var partial = path + "." + Guid.NewGuid().ToString("N") + ".part";
        try
        {
            using var response = await http.GetAsync($"api/serving/blobs/{sha256}", HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            await using (var body = await response.Content.ReadAsStreamAsync())
            await using (var file = File.Create(partial))
                await body.CopyToAsync(file);
            string actual;
            await using (var file = File.OpenRead(partial)) actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(file));
            if (actual != sha256) throw new InvalidDataException($"blob {sha256} arrived with sha256 {actual}: refused");
            File.Move(partial, path, overwrite: true);
            log.LogInformation("Blob {Hash} cached for serving ({Bytes} bytes)", sha256, new FileInfo(path).Length);
            return path;
        }
        finally
        {
            if (File.Exists(partial)) File.Delete(partial);
        }
    }
}
