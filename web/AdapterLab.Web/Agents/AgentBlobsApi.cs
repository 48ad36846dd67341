using System.Text.RegularExpressions;
using AdapterLab.Data.Blobs;
using AdapterLab.Web.Auth;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AdapterLab.Web.Agents;

/// <summary>
/// <c>/api/agent/blobs/{sha256}</c>: agents (agent token, not API keys) upload and download checkpoints, streamed so that
/// neither a message size limit nor memory bounds a checkpoint.
/// </summary>
public static partial class AgentBlobsApi
{
    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Pattern();

    public static IEndpointRouteBuilder MapAgentBlobsApi(this IEndpointRouteBuilder app)
    {
        var blobs = app.MapGroup("/api/agent/blobs").WithTags("Agent").RequireAuthorization(Scopes.AgentPolicy);
        blobs.MapPut("/{sha256}", Put).WithName("PutBlob")
            .WithSummary("Upload a blob whose bytes must hash to {sha256} (streamed, no size limit)")
            // No Accepts metadata: it would make routing refuse uploads without an octet-stream content type (415).
            .WithMetadata(new Microsoft.AspNetCore.Mvc.DisableRequestSizeLimitAttribute());
        blobs.MapGet("/{sha256}", Get).WithName("GetBlob")
            .WithSummary("Download a blob (streamed, integrity-checked)");
        blobs.MapMethods("/{sha256}", [HttpMethods.Head], Head).WithName("HeadBlob")
            .WithSummary("Whether a blob exists, and its size");
        return app;
    }

    private static async Task<Results<Created<BlobView>, Ok<BlobView>, ProblemHttpResult>> Put(
        string sha256, HttpContext http, BlobStore store, CancellationToken ct)
    {
        if (!Sha256Pattern().IsMatch(sha256)) return BadHash(sha256);
        // Stream straight from the request into chunk rows: the body is never held in memory as a whole.
        var sizeFeature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false }) sizeFeature.MaxRequestBodySize = null;
        try
        {
            var (hash, size, created) = await store.PutAsync(http.Request.Body, sha256, ct);
            var view = new BlobView(hash, size);
            return created ? TypedResults.Created($"/api/agent/blobs/{hash}", view) : TypedResults.Ok(view);
        }
        catch (BlobIntegrityException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Hash mismatch", detail: ex.Message);
        }
    }

    private static async Task<IResult> Get(string sha256, HttpContext http, BlobStore store, CancellationToken ct)
    {
        if (!Sha256Pattern().IsMatch(sha256)) return BadHash(sha256);
        var blob = await store.FindAsync(sha256, ct);
        if (blob is null) return Missing(sha256);
        http.Response.ContentType = "application/octet-stream";
        http.Response.ContentLength = blob.SizeBytes;
        http.Response.Headers.ETag = $"\"{sha256}\"";
        // Bytes are verified while streaming; a corrupted blob aborts the response (the client sees a short read).
        await store.CopyToAsync(sha256, http.Response.Body, ct);
        return TypedResults.Empty;
    }

    private static async Task<IResult> Head(string sha256, HttpContext http, BlobStore store, CancellationToken ct)
    {
        if (!Sha256Pattern().IsMatch(sha256)) return TypedResults.BadRequest();
        var blob = await store.FindAsync(sha256, ct);
        if (blob is null) return TypedResults.NotFound();
        http.Response.ContentType = "application/octet-stream";
        http.Response.ContentLength = blob.SizeBytes;
        http.Response.Headers.ETag = $"\"{sha256}\"";
        return TypedResults.Ok();
    }

    private static ProblemHttpResult BadHash(string sha256) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid blob hash",
            detail: $"'{sha256}' is not a lowercase hex sha256 (64 characters)");

    private static ProblemHttpResult Missing(string sha256) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Blob not found", detail: $"no blob {sha256}");
}
