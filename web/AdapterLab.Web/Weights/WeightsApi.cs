using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Safetensors;
using AdapterLab.Contracts.Specs;
using AdapterLab.Data;
using AdapterLab.Data.Blobs;
using AdapterLab.Web.Auth;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Weights;

/// <summary>
/// <c>GET /api/experiments/{id}/weights?include=adapters|full</c>: a finished experiment's weights as safetensors.
/// <c>adapters</c> (default) is the experiment's own output (trainable tensors + buffers; for a pretrain, the whole
/// model); <c>full</c> merges the backbone it was trained on (pinned at dispatch) with that output into one file
/// (<see cref="SafetensorsMerge"/>), streamed tensor by tensor.
/// </summary>
public static class WeightsApi
{
    public static IEndpointRouteBuilder MapWeightsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/experiments/{id:guid}/weights", Export).WithName("ExportExperimentWeights").WithTags("Experiments")
            .WithSummary("Download a finished experiment's weights as safetensors: include=adapters (its own tensors) or include=full (backbone + adapters)")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireAuthorization(Scopes.Read);
        return app;
    }

    private static async Task<IResult> Export(Guid id, string? include, HttpContext http, PlatformDbContext db, BlobStore blobs, CancellationToken ct)
    {
        include ??= "adapters";
        if (include is not ("adapters" or "full"))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["include"] = ["must be 'adapters' or 'full'"] });
        var e = await db.Experiments.AsNoTracking().Where(x => x.Id == id)
            .Select(x => new { x.Kind, x.Status, x.OutputBlob, x.Name }).SingleOrDefaultAsync(ct);
        if (e is null) return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Experiment not found", detail: $"no experiment with id {id}");
        if (e.Status != ExperimentStatus.Succeeded || e.OutputBlob is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "No weights yet",
                detail: $"weights exist once the experiment has succeeded; it is {e.Status}");
        string file = $"experiment-{id:N}-{include}.safetensors";
        if (e.Kind == Kinds.Pretrain)
        {
            // A pretrain's output is already the whole model (backbone + head); it has no adapters.
            if (include == "adapters")
                return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "A pretrain has no adapters",
                    detail: "a pretrain trains the whole backbone: use include=full for its weights");
            return await DownloadAsync(http, blobs, e.OutputBlob, null, "adapters", file, ct);
        }
        var backboneBlob = include == "adapters" ? null : await db.Attempts.AsNoTracking()
            .Where(a => a.ExperimentId == id && a.Status == ExperimentStatus.Succeeded)
            .OrderByDescending(a => a.Number).Select(a => a.BackboneBlob).FirstOrDefaultAsync(ct);
        if (include == "full" && backboneBlob is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "No stored backbone",
                detail: "the experiment ran on a randomly initialised backbone (rebuilt from its seed), so there is no backbone file to merge; use include=adapters");
        return await DownloadAsync(http, blobs, e.OutputBlob, backboneBlob, include, file, ct);
    }

    /// <summary>
    /// An adapter blob as stored (<paramref name="include"/> <c>adapters</c>), or merged over its backbone blob into one
    /// safetensors file (<c>full</c>), streamed tensor by tensor. Shared by experiment and registered-model exports.
    /// </summary>
    public static async Task<IResult> DownloadAsync(HttpContext http, BlobStore blobs, string adapterBlob, string? backboneBlob, string include, string file, CancellationToken ct)
    {
        var temps = new List<string>();
        http.Response.RegisterForDispose(new TempFiles(temps));
        try
        {
            if (include == "adapters")
            {
                temps.Add(await blobs.ReadToTempFileAsync(adapterBlob, ct));
                return TypedResults.PhysicalFile(temps[0], "application/octet-stream", file);
            }
            // Verified copies first (a corrupted blob is never served), then the merge streams straight to the response.
            temps.Add(await blobs.ReadToTempFileAsync(backboneBlob!, ct));
            temps.Add(await blobs.ReadToTempFileAsync(adapterBlob, ct));
        }
        catch (BlobIntegrityException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Blob corrupted in storage", detail: ex.Message);
        }

        var backbone = SafetensorsReader.Open(temps[0]);
        var adapted = SafetensorsReader.Open(temps[1]);
        http.Response.RegisterForDispose(backbone);
        http.Response.RegisterForDispose(adapted);
        var parts = SafetensorsMerge.Plan(backbone, adapted);
        var metadata = new Dictionary<string, string>(adapted.Metadata) { ["export"] = "full", ["backbone_blob"] = backboneBlob!, ["adapted_blob"] = adapterBlob };
        var header = SafetensorsMerge.Header(parts, metadata, out long dataLength);
        return new MergedFile(parts, header, dataLength, file);
    }

    private sealed class MergedFile(List<SafetensorsMerge.Part> parts, byte[] header, long dataLength, string fileName) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            http.Response.ContentType = "application/octet-stream";
            http.Response.ContentLength = header.Length + dataLength;
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
            await SafetensorsMerge.WriteAsync(http.Response.Body, parts, header, http.RequestAborted);
        }
    }

    private sealed class TempFiles(List<string> paths) : IDisposable
    {
        public void Dispose()
        {
            foreach (var p in paths)
                try { File.Delete(p); } catch (IOException) { }
        }
    }
}
