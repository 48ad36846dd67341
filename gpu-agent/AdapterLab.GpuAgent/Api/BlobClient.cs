using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using AdapterLab.ServiceDefaults.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace AdapterLab.GpuAgent.Api;

/// <summary>
/// Streams checkpoints to and from the web API's agent endpoints: the agent holds no database credentials, and no file
/// is held in memory whole. Downloads are verified against their sha256 before use and cached by hash.
/// </summary>
public sealed class BlobClient(HttpClient http, IOptions<AgentOptions> options, TimeProvider time, ILogger<BlobClient> log)
{
    private readonly string _cache = Path.Combine(options.Value.ResolvedWorkDirectory, "blobs");

    /// <summary>
    /// Retries what a restart of the web service or its database looks like from here (connection refused, 5xx, a
    /// timed-out request) with jittered back-off for about a minute; corruption, a missing blob and cancellation are
    /// not transient. Each try opens its own stream, which an HTTP handler could not replay.
    /// </summary>
    private readonly ResiliencePipeline _transient = RetryPipelines.Transient(time, IsTransient, log, "blob transfer");

    /// <summary>Returns a local, verified copy of the blob (transient faults are retried).</summary>
    public async Task<string> DownloadAsync(string hash, CancellationToken ct) =>
        await _transient.ExecuteAsync(async token => await DownloadOnceAsync(hash, token), ct);

    /// <summary>Uploads a file; returns its sha256 and size (transient faults are retried). The server re-hashes and rejects a mismatch.</summary>
    public async Task<(string Hash, long Size)> UploadAsync(string path, CancellationToken ct) =>
        await _transient.ExecuteAsync(async token => await UploadOnceAsync(path, token), ct);

    private static bool IsTransient(Exception ex) => ex switch
    {
        BlobCorruptedException => false,
        TransientBlobException => true,
        HttpRequestException => true,
        IOException => true,
        TaskCanceledException => true, // HttpClient timeout
        _ => false,
    };

    private async Task<string> DownloadOnceAsync(string hash, CancellationToken ct)
    {
        Directory.CreateDirectory(_cache);
        var path = Path.Combine(_cache, hash);
        if (File.Exists(path)) return path;
        var partial = path + "." + Guid.NewGuid().ToString("N") + ".part";
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"api/agent/blobs/{hash}");
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (response.StatusCode == HttpStatusCode.NotFound) throw new BlobTransferException($"blob {hash} does not exist on the server");
            if (response.StatusCode == HttpStatusCode.UnprocessableEntity)
                throw new BlobCorruptedException(hash, await response.Content.ReadAsStringAsync(ct));
            if ((int)response.StatusCode >= 500) throw new TransientBlobException($"download of {hash}: {(int)response.StatusCode}");
            response.EnsureSuccessStatusCode();
            await using (var body = await response.Content.ReadAsStreamAsync(ct))
            await using (var file = File.Create(partial))
                await body.CopyToAsync(file, ct);
            var actual = await HashFileAsync(partial, ct);
            // The server verified the stored bytes before sending (422 otherwise), so a mismatch here is the transfer.
            if (actual != hash) throw new TransientBlobException($"blob {hash} arrived damaged (hashes to {actual})");
            File.Move(partial, path, overwrite: true);
            return path;
        }
        finally
        {
            if (File.Exists(partial)) File.Delete(partial);
        }
    }

    private async Task<(string Hash, long Size)> UploadOnceAsync(string path, CancellationToken ct)
    {
        var hash = await HashFileAsync(path, ct);
        var size = new FileInfo(path).Length;
        await using var file = File.OpenRead(path);
        using var content = new StreamContent(file, 1 << 20);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.ContentLength = size;
        using var response = await http.PutAsync($"api/agent/blobs/{hash}", content, ct);
        if ((int)response.StatusCode >= 500) throw new TransientBlobException($"upload of {hash}: {(int)response.StatusCode}");
        if (!response.IsSuccessStatusCode)
            throw new BlobTransferException($"upload of {hash} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        return (hash, size);
    }

    public static async Task<string> HashFileAsync(string path, CancellationToken ct)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, ct));
    }
}

/// <summary>A checkpoint could not be moved between agent and server (an infrastructure failure, not a training one).</summary>
public class BlobTransferException(string message) : Exception(message);

/// <summary>The server answered with a 5xx: worth another try.</summary>
public sealed class TransientBlobException(string message) : BlobTransferException(message);

/// <summary>The stored bytes of a blob do not match its hash: the blob must not be used.</summary>
public sealed class BlobCorruptedException(string hash, string message) : BlobTransferException(message)
{
    public string Hash { get; } = hash;
}
