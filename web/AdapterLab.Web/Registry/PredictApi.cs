using System.Text.Json;
using AdapterLab.Web.Auth;
using AdapterLab.Web.Hosting;

namespace AdapterLab.Web.Registry;

/// <summary>
/// <c>POST /api/models/{name}/predict</c>: classes with probabilities for uploaded PNG/JPEG images (multipart field
/// <c>images</c>) or images inside the data root (<c>paths</c>, a form field or a JSON body), from a registered version
/// (<c>?version=</c> a number, <c>production</c> — the default — or <c>latest</c>). Any reader may predict. The web checks
/// who asks and how much (≤ <see cref="MaxImages"/> images, each ≤ <see cref="MaxImageBytes"/>: 413 past it), resolves the
/// version to its number, and forwards to the inference host (<c>Platform:InferenceUrl</c>, authenticated by
/// <c>Platform:InferenceToken</c>), which decodes, batches with other requests on the same backbone and answers; its
/// answer (or its 400 naming the image) is relayed as is.
/// </summary>
public static class PredictApi
{
    public const int MaxImages = 32;
    public const long MaxImageBytes = 4L * 1024 * 1024;
    public const long MaxBodyBytes = 24L * 1024 * 1024;

    public static IEndpointRouteBuilder MapPredictApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/models/{name}/predict", Predict).WithName("PredictWithModel").WithTags("Models")
            .WithSummary("Classes with probabilities for PNG/JPEG images (multipart 'images') or data-root paths ('paths'), from a registered version")
            .WithDescription($"At most {MaxImages} images of at most {MaxImageBytes / (1024 * 1024)} MiB each (413 past it). version: a number, 'production' (default) or 'latest'.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .DisableAntiforgery()
            .WithBodyLimit(MaxBodyBytes)
            .RequireAuthorization(Scopes.Read);
        return app;
    }

    private sealed record PathsBody(List<string>? Paths);

    private static async Task<IResult> Predict(string name, string? version, HttpRequest request, ModelRegistry registry,
        InferenceGateway gateway, CancellationToken ct)
    {
        version ??= Data.Entities.ModelVersion.Production;
        var resolved = await registry.VersionAsync(name, version, ct);
        if (resolved is null)
        {
            bool exists = await registry.GetAsync(name, ct) is not null;
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Model not found",
                detail: !exists ? $"no model named '{name}'"
                : version == Data.Entities.ModelVersion.Production ? $"no version of '{name}' is in production; ask for ?version=latest or a version number"
                : $"model '{name}' has no version '{version}' (a number, 'production' or 'latest')");
        }

        var files = new List<IFormFile>();
        var paths = new List<string>();
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(ct);
            files.AddRange(form.Files);
            foreach (var p in form["paths"]) if (p is not null) paths.Add(p);
        }
        else if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            var (body, problem) = await JsonBody.ReadAsync<PathsBody>(request, "paths (images inside the data root)", ct);
            if (problem is not null) return problem;
            paths.AddRange(body!.Paths ?? []);
        }
        var errors = new Dictionary<string, string[]>();
        if (files.Count + paths.Count == 0) errors["images"] = ["send at least one image (multipart field 'images') or a data-root path ('paths')"];
        else if (files.Count + paths.Count > MaxImages) errors["images"] = [$"at most {MaxImages} images per request (got {files.Count + paths.Count})"];
        for (int i = 0; i < paths.Count; i++)
            if (string.IsNullOrWhiteSpace(paths[i]) || paths[i].Length > 1024 || paths[i].Any(char.IsControl))
                errors[$"paths[{i}]"] = ["must be 1 to 1024 characters without control characters"];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Invalid prediction request");
        for (int i = 0; i < files.Count; i++)
            if (files[i].Length > MaxImageBytes)
                return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Image too large",
                    detail: $"images[{i}] ('{files[i].FileName}') is {files[i].Length:N0} bytes; the limit is {MaxImageBytes:N0} bytes per image");

        if (gateway.Unavailable is { } why)
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Inference is not configured", detail: why);
        var answer = await gateway.PredictAsync(resolved,
            files.Select(f => new InferenceGateway.Image(f.FileName, f.ContentType, f.OpenReadStream)).ToList(), paths, ct);
        return new Relayed(answer.Status, answer.ContentType, answer.Body);
    }

    /// <summary>The inference host's answer, status and body as they came.</summary>
    private sealed class Relayed(int status, string contentType, byte[] body) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = status;
            http.Response.ContentType = contentType;
            http.Response.ContentLength = body.Length;
            await http.Response.Body.WriteAsync(body, http.RequestAborted);
        }
    }
}
