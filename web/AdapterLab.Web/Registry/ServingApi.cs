using AdapterLab.Data;
using AdapterLab.Web.Auth;
using AdapterLab.Web.Hosting;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Registry;

/// <summary>
/// <c>/api/serving</c>: what the inference host reads, with its own key (scope <c>models:serve</c>): a registered version's
/// manifest, and the blobs registered versions bind (adapter and backbone) — any other blob is a 404, whatever its hash.
/// </summary>
public static partial class ServingApi
{
    public static IEndpointRouteBuilder MapServingApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/serving").WithTags("Serving").RequireAuthorization(Scopes.ModelsServe);
        api.MapGet("/models/{name}/versions/{version:int}", Version).WithName("GetServedModelVersion")
            .WithSummary("A registered version as the inference host loads it: method, spec, adapter and backbone blobs")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/blobs/{sha256}", Blob).WithName("GetServedBlob")
            .WithSummary("A blob that a registered model version binds (adapter or backbone), streamed and integrity-checked")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<IResult> Version(string name, int version, ModelRegistry registry, CancellationToken ct) =>
        await registry.VersionAsync(name, version.ToString(System.Globalization.CultureInfo.InvariantCulture), ct) is { } v
            ? TypedResults.Ok(v)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Model not found", detail: $"model '{name}' has no version {version}");

    private static async Task<IResult> Blob(string sha256, PlatformDbContext db, CancellationToken ct)
    {
        bool registered = Hosting.BlobHash.IsSha256(sha256)
            && await db.ModelVersions.AnyAsync(v => v.AdapterBlob == sha256 || v.BackboneBlob == sha256, ct);
        return registered
            ? new BlobDownload(sha256, "application/octet-stream", sha256 + ".safetensors")
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not a served blob",
                detail: "no registered model version binds this blob");
    }
}
