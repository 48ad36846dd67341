using System.Text.RegularExpressions;
using AdapterLab.Data;
using AdapterLab.Data.Blobs;
using AdapterLab.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Dashboard;

/// <summary>A checkpoint an experiment produced.</summary>
/// <param name="Kind"><c>resume</c>, <c>final</c>, <c>backbone</c>, <c>predictions</c> or <c>gallery</c> (a zip of dense-prediction PNGs, see <see cref="GalleryStore"/>).</param>
/// <param name="Hash">sha256 of the blob; download through <c>/api/experiments/{id}/checkpoints/{hash}/download</c>.</param>
public sealed record CheckpointView(int Attempt, long Step, string Kind, string Hash, long SizeBytes, DateTimeOffset CreatedAt);

/// <summary><c>/api/experiments/{id}/checkpoints</c>: list an experiment's checkpoints and download them as safetensors.</summary>
public static partial class CheckpointsApi
{
    /// <summary>Checkpoint kind of dense-prediction galleries (a zip of PNGs and a manifest), shown on the experiment page.</summary>
    public const string GalleryKind = "gallery";

    public static IEndpointRouteBuilder MapCheckpointsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/experiments/{id:guid}/checkpoints").WithTags("Experiments")
            .RequireAuthorization(Scopes.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/", List).WithName("ListCheckpoints")
            .WithSummary("An experiment's checkpoints (resume, final, backbone, gallery), newest first");
        api.MapGet("/{hash}/download", Download).WithName("DownloadCheckpoint")
            .WithSummary("Download a checkpoint as a .safetensors file (predictions as .json.gz, galleries as .zip), integrity-checked and streamed")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapGet("/{hash}/gallery/{*entry}", GalleryImage).WithName("GalleryImage")
            .WithSummary("One PNG of a dense-prediction gallery, by its path in the gallery's manifest (GET /api/experiments/{id}/gallery)");
        app.MapGet("/api/experiments/{id:guid}/gallery", LatestGallery).WithTags("Experiments").WithName("LatestGallery")
            .RequireAuthorization(Scopes.Read)
            .WithSummary("The newest dense-prediction gallery: step, tasks and per example the input, prediction and truth image paths")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static async Task<List<CheckpointView>> LoadAsync(PlatformDbContext db, Guid id, CancellationToken ct) =>
        await db.Checkpoints.AsNoTracking().Where(c => c.ExperimentId == id)
            .OrderByDescending(c => c.Step).ThenByDescending(c => c.AttemptNumber).ThenBy(c => c.Kind)
            .Select(c => new CheckpointView(c.AttemptNumber, c.Step, c.Kind, c.BlobHash, c.SizeBytes, c.CreatedAt))
            .ToListAsync(ct);

    private static async Task<Results<Ok<List<CheckpointView>>, ProblemHttpResult>> List(Guid id, PlatformDbContext db, CancellationToken ct)
    {
        if (!await db.Experiments.AnyAsync(e => e.Id == id, ct)) return Missing($"no experiment with id {id}");
        return TypedResults.Ok(await LoadAsync(db, id, ct));
    }

    private static async Task<IResult> Download(Guid id, string hash, HttpContext http, PlatformDbContext db, BlobStore store, CancellationToken ct)
    {
        if (!Hosting.BlobHash.IsSha256(hash)) return Missing($"'{hash}' is not a lowercase hex sha256");
        // Only blobs this experiment references: the read scope must not turn into a download-any-blob endpoint.
        var checkpoint = await db.Checkpoints.AsNoTracking().Where(c => c.ExperimentId == id && c.BlobHash == hash)
            .OrderByDescending(c => c.Step).Select(c => new { c.Kind, c.Step }).FirstOrDefaultAsync(ct);
        var experiment = await db.Experiments.AsNoTracking().Where(e => e.Id == id)
            .Select(e => new { e.Name, e.OutputBlob, e.BackboneBlob }).SingleOrDefaultAsync(ct);
        if (experiment is null) return Missing($"no experiment with id {id}");
        var kind = checkpoint?.Kind ?? (hash == experiment.OutputBlob ? "final" : hash == experiment.BackboneBlob ? "backbone" : null);
        if (kind is null) return Missing($"experiment {id} has no checkpoint {hash}");
        if (await store.FindAsync(hash, ct) is null) return Missing($"the blob {hash} is no longer stored");
        var stem = Slug(experiment.Name) ?? id.ToString()[..8];
        var step = checkpoint is null ? "" : $"-step{checkpoint.Step}";
        // Streamed and checked chunk by chunk, never staged whole (see BlobDownload).
        return kind switch
        {
            GalleryKind => new Hosting.BlobDownload(hash, "application/zip", $"{stem}-gallery{step}.zip"),
            AdapterLab.Contracts.Predictions.PredictionsFile.CheckpointKind => new Hosting.BlobDownload(hash, "application/gzip", $"{stem}-predictions{step}.json.gz"),
            _ => new Hosting.BlobDownload(hash, "application/octet-stream", $"{stem}-{kind}{step}.safetensors"),
        };
    }

    private static async Task<Results<Ok<GalleryView>, ProblemHttpResult>> LatestGallery(Guid id, PlatformDbContext db, GalleryStore galleries, CancellationToken ct)
    {
        if (!await db.Experiments.AnyAsync(e => e.Id == id, ct)) return Missing($"no experiment with id {id}");
        return await galleries.LatestAsync(db, id, ct) is { } view ? TypedResults.Ok(view) : Missing($"experiment {id} has no prediction gallery");
    }

    private static async Task<IResult> GalleryImage(Guid id, string hash, string entry, HttpContext http, PlatformDbContext db, GalleryStore galleries, CancellationToken ct)
    {
        if (!Hosting.BlobHash.IsSha256(hash)) return Missing($"'{hash}' is not a lowercase hex sha256");
        var png = await galleries.ImageAsync(db, id, hash, entry, ct);
        if (png is null) return Missing($"experiment {id} has no gallery image {entry} in {hash}");
        http.Response.Headers.CacheControl = "private, max-age=86400, immutable";
        return TypedResults.File(png, "image/png");
    }

    private static string? Slug(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var slug = Regex.Replace(name.ToLowerInvariant(), "[^a-z0-9]+", "-").Trim('-');
        return slug.Length == 0 ? null : slug[..Math.Min(slug.Length, 60)];
    }

    private static ProblemHttpResult Missing(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail);

}
