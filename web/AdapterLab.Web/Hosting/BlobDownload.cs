using AdapterLab.Data.Blobs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AdapterLab.Web.Hosting;

/// <summary>
/// Sends a stored blob as a response without staging it, and without ever sending wrong bytes: each chunk is checked
/// against the sha256 stored with it at upload before it is written. A mismatch in the first chunk is a 422 (nothing
/// sent yet); a later one aborts the connection (the client sees a broken transfer, never a complete wrong file); the
/// corrupted blob is discarded either way. Blobs stored before chunks had hashes are verified whole into a private
/// temporary file first, as before.
/// </summary>
public sealed class BlobDownload(string hash, string contentType, string? fileName) : IResult
{
    public async Task ExecuteAsync(HttpContext http)
    {
        var store = http.RequestServices.GetRequiredService<BlobStore>();
        var log = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger<BlobDownload>();
        var ct = http.RequestAborted;
        var blob = await store.FindAsync(hash, ct);
        if (blob is null)
        {
            await TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"the blob {hash} is no longer stored").ExecuteAsync(http);
            return;
        }
        if (!await store.ChunksHashedAsync(hash, ct))
        {
            await StagedAsync(http, store, ct);
            return;
        }
        await using var chunks = store.ReadVerifiedChunksAsync(hash, ct).GetAsyncEnumerator(ct);
        bool started = false;
        try
        {
            bool any = await chunks.MoveNextAsync();   // the first chunk is checked before the status line goes out
            Headers(http, blob.SizeBytes);
            started = true;
            await http.Response.StartAsync(ct);
            while (any)
            {
                await http.Response.Body.WriteAsync(chunks.Current, ct);
                any = await chunks.MoveNextAsync();
            }
        }
        catch (BlobIntegrityException ex)
        {
            log.LogError("Blob {Hash} corrupted in storage, discarded: {Reason}", hash, ex.Message);
            await store.DiscardCorruptedAsync(hash, CancellationToken.None);
            if (!started)
                await TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Blob corrupted in storage", detail: ex.Message).ExecuteAsync(http);
            else http.Abort();
        }
    }

    private void Headers(HttpContext http, long size)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = contentType;
        http.Response.ContentLength = size;
        http.Response.Headers.ETag = $"\"{hash}\"";
        if (fileName is not null)
            http.Response.Headers.ContentDisposition = new System.Net.Mime.ContentDisposition { FileName = fileName }.ToString();
    }

    private async Task StagedAsync(HttpContext http, BlobStore store, CancellationToken ct)
    {
        string verified;
        try
        {
            verified = await store.ReadToTempFileAsync(hash, ct);
        }
        catch (BlobIntegrityException ex)
        {
            await store.DiscardCorruptedAsync(hash, CancellationToken.None);
            await TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Blob corrupted in storage", detail: ex.Message).ExecuteAsync(http);
            return;
        }
        try
        {
            Headers(http, new FileInfo(verified).Length);
            await http.Response.SendFileAsync(verified, ct);
        }
        finally
        {
            try { File.Delete(verified); } catch (IOException) { }
        }
    }
}
