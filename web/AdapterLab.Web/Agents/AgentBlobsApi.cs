using AdapterLab.Data;
using AdapterLab.Data.Blobs;
using AdapterLab.Data.Entities;
using AdapterLab.Data.Security;
using AdapterLab.Web.Auth;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AdapterLab.Web.Agents;

/// <summary>
/// <c>/api/agent/blobs/{sha256}</c>: agents (agent token, not API keys) upload and download checkpoints, streamed so that
/// neither a message size limit nor memory bounds a checkpoint. An agent token belongs to the agent its name names, and
/// reaches only what that agent's leases name (<see cref="AgentLeases"/>): it reads the weights it was sent for an attempt
/// it holds, and uploads only while it holds one; anything else is a 403, recorded in <c>refused_messages</c>. Uploads are
/// capped by <c>Agents:MaxUploadBytes</c> (default 16 GiB): a larger declared length is refused with 413 before any byte
/// is stored, and a body that grows past the cap is cut off with 413 and its partial chunks rolled back.
/// </summary>
public static partial class AgentBlobsApi
{
    public const string MaxUploadSetting = "Agents:MaxUploadBytes";
    public const long DefaultMaxUploadBytes = 16L * 1024 * 1024 * 1024;

    public static IEndpointRouteBuilder MapAgentBlobsApi(this IEndpointRouteBuilder app)
    {
        var blobs = app.MapGroup("/api/agent/blobs").WithTags("Agent").RequireAuthorization(Scopes.AgentPolicy);
        blobs.MapPut("/{sha256}", Put).WithName("PutBlob")
            .WithSummary("Upload a blob whose bytes must hash to {sha256} (streamed; at most Agents:MaxUploadBytes, else 413)")
            // No Accepts metadata: it would make routing refuse uploads without an octet-stream content type (415).
            .WithMetadata(new Microsoft.AspNetCore.Mvc.DisableRequestSizeLimitAttribute());
        blobs.MapGet("/{sha256}", Get).WithName("GetBlob")
            .WithSummary("Download a blob (streamed, integrity-checked)");
        blobs.MapMethods("/{sha256}", [HttpMethods.Head], Head).WithName("HeadBlob")
            .WithSummary("Whether a blob exists, and its size");
        return app;
    }

    private static async Task<Results<Created<BlobView>, Ok<BlobView>, ProblemHttpResult>> Put(
        string sha256, HttpContext http, BlobStore store, PlatformDbContext db, CancellationToken ct)
    {
        if (!Hosting.BlobHash.IsSha256(sha256)) return BadHash(sha256);
        var agent = AgentOf(http);
        if (!await AgentLeases.MayWriteAsync(db, agent, ct))
            return await RefuseAsync(http, db, "PUT blob", sha256, $"agent '{agent}' holds no attempt: nothing of it may be uploaded", ct);
        long cap = http.RequestServices.GetRequiredService<IConfiguration>().GetValue(MaxUploadSetting, DefaultMaxUploadBytes);
        if (http.Request.ContentLength > cap) return TooLarge(http.Request.ContentLength.Value, cap);
        // Stream straight from the request into chunk rows: the body is never held in memory as a whole. The server
        // enforces the cap on the bytes actually received (a chunked body declares no length).
        var sizeFeature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false }) sizeFeature.MaxRequestBodySize = cap;
        var body = new CappedStream(http.Request.Body, cap);
        try
        {
            var (hash, size, created) = await store.PutAsync(body, sha256, ct);
            // Pinned to the experiments this agent holds: kept until they end, whenever their reference arrives.
            await AgentLeases.PinUploadAsync(db, agent, hash, DateTimeOffset.UtcNow, ct);
            var view = new BlobView(hash, size);
            return created ? TypedResults.Created($"/api/agent/blobs/{hash}", view) : TypedResults.Ok(view);
        }
        catch (BlobIntegrityException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Hash mismatch", detail: ex.Message);
        }
        catch (Exception ex) when (body.Exceeded || ex is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge })
        {
            return TooLarge(null, cap);
        }
    }

    private static async Task<IResult> Get(string sha256, HttpContext http, BlobStore store, PlatformDbContext db, CancellationToken ct)
    {
        if (!Hosting.BlobHash.IsSha256(sha256)) return BadHash(sha256);
        var agent = AgentOf(http);
        if (!await AgentLeases.MayReadAsync(db, agent, sha256, ct))
            return await RefuseAsync(http, db, "GET blob", sha256, $"blob {sha256} is not named by an attempt agent '{agent}' holds", ct);
        if (await store.FindAsync(sha256, ct) is null) return Missing(sha256);
        // Streamed, each chunk checked before it is sent: corrupted bytes are never served (see BlobDownload).
        return new Hosting.BlobDownload(sha256, "application/octet-stream", null);
    }


    private static async Task<IResult> Head(string sha256, HttpContext http, BlobStore store, PlatformDbContext db, CancellationToken ct)
    {
        if (!Hosting.BlobHash.IsSha256(sha256)) return TypedResults.BadRequest();
        // An agent checks before uploading whether its own checkpoint is stored already: allowed while it holds an attempt.
        if (!await AgentLeases.MayWriteAsync(db, AgentOf(http), ct) && !await AgentLeases.MayReadAsync(db, AgentOf(http), sha256, ct))
            return TypedResults.StatusCode(StatusCodes.Status403Forbidden);
        var blob = await store.FindAsync(sha256, ct);
        if (blob is null) return TypedResults.NotFound();
        http.Response.ContentType = "application/octet-stream";
        http.Response.ContentLength = blob.SizeBytes;
        http.Response.Headers.ETag = $"\"{sha256}\"";
        return TypedResults.Ok();
    }

    /// <summary>The agent an agent token belongs to: the one its name names.</summary>
    private static string AgentOf(HttpContext http) => http.User.FindFirst(AgentTokenAuthenticationHandler.AgentClaim)?.Value ?? "";

    /// <summary>403 with the reason, recorded with the token in the boundary's audit (once per request).</summary>
    private static async Task<ProblemHttpResult> RefuseAsync(HttpContext http, PlatformDbContext db, string operation, string sha256, string reason, CancellationToken ct)
    {
        await RefusedMessageLog.RecordAsync(db, new RefusedMessage
        {
            MessageId = "http:" + http.TraceIdentifier + ":" + Guid.NewGuid().ToString("N")[..8], At = DateTimeOffset.UtcNow, MessageType = operation,
            Sender = "agent-token:" + AgentOf(http), ClaimedAgentId = AgentOf(http), Reason = reason,
        }, ct);
        return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Outside this agent's leases", detail: reason);
    }

    private static ProblemHttpResult TooLarge(long? declared, long cap) =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Blob too large",
            detail: (declared is { } d ? $"{d:N0} bytes declared; " : "the body grew past the limit; ") + $"uploads are limited to {cap:N0} bytes ({MaxUploadSetting})");

    /// <summary>Fails the read that would take the body past <paramref name="cap"/> bytes (the in-process test server enforces no body limit).</summary>
    private sealed class CappedStream(Stream inner, long cap) : Stream
    {
        private long read;
        public bool Exceeded { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int n)
        {
            read += n;
            if (read > cap)
            {
                Exceeded = true;
                throw new IOException($"upload larger than {cap:N0} bytes");
            }
            return n;
        }
    }

    private static ProblemHttpResult BadHash(string sha256) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid blob hash",
            detail: $"'{sha256}' is not a lowercase hex sha256 (64 characters)");

    private static ProblemHttpResult Missing(string sha256) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Blob not found", detail: $"no blob {sha256}");
}
