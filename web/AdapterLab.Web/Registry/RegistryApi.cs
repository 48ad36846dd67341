using System.Security.Claims;
using AdapterLab.Data.Blobs;
using AdapterLab.Web.Auth;
using AdapterLab.Web.Hosting;
using AdapterLab.Web.Weights;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AdapterLab.Web.Registry;

/// <summary><c>/api/models</c>: the model registry — register, list, lineage, stages with their history, diff, export.</summary>
public static class RegistryApi
{
    public static IEndpointRouteBuilder MapRegistryApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/models").WithTags("Models");
        api.MapGet("", List).WithName("ListModels").WithSummary("Registered models with their newest and production versions")
            .RequireAuthorization(Scopes.Read);
        api.MapPost("", Register).WithName("RegisterModel")
            .WithSummary("Register a succeeded adaptation experiment's adapter as the next version of a model (created if new)")
            .WithDescription("The same experiment registered again under the same model answers its existing version (200). "
                             + "Full fine-tuning and pretrains register as backbones; an experiment on a random backbone has nothing to bind to.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Scopes.ExperimentsWrite);
        api.MapPost("/{name}/versions", Import).WithName("ImportModelVersion")
            .WithSummary("Import an adapter trained elsewhere as the next version: multipart 'file' (safetensors) and 'spec' (the spec it was trained with, on a named backbone here)")
            .WithDescription("The file must hold exactly the trainable tensors the spec's method trains (the catalogue's count; head_norm statistics aside), "
                             + "for a head of the spec's classes; anything else is a 400 naming the field, and nothing is stored.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .DisableAntiforgery()
            .WithBodyLimit(MaxImportBytes)
            .RequireAuthorization(Scopes.ExperimentsWrite);
        api.MapGet("/{name}", Get).WithName("GetModel").WithSummary("A model and every version with its lineage")
            .ProducesProblem(StatusCodes.Status404NotFound).RequireAuthorization(Scopes.Read);
        api.MapGet("/{name}/versions/{version}", Version).WithName("GetModelVersion")
            .WithSummary("One version's lineage: a number, 'production' or 'latest'")
            .ProducesProblem(StatusCodes.Status404NotFound).RequireAuthorization(Scopes.Read);
        api.MapPost("/{name}/versions/{version:int}/stage", ChangeStage).WithName("ChangeModelStage")
            .WithSummary("Move a version to candidate, production or archived (promoting to production archives the previous one); audited")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Scopes.ExperimentsWrite);
        api.MapGet("/{name}/history", History).WithName("GetModelHistory").WithSummary("Registrations and stage moves, oldest first, with their actors")
            .ProducesProblem(StatusCodes.Status404NotFound).RequireAuthorization(Scopes.Read);
        api.MapGet("/{name}/diff", Diff).WithName("DiffModelVersions").WithSummary("Two versions side by side: spec fields that differ, metrics, parameter counts")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).RequireAuthorization(Scopes.Read);
        api.MapGet("/{name}/versions/{version}/weights", Weights).WithName("ExportModelVersion")
            .WithSummary("A version's weights as safetensors: include=adapters (its own tensors) or include=full (backbone + adapters)")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).RequireAuthorization(Scopes.Read);
        return app;
    }

    private static async Task<IResult> List(string? project, ClaimsPrincipal user, Projects.ProjectDirectory projects, ModelRegistry registry, CancellationToken ct)
    {
        var selection = await projects.SelectAsync(user, project, ct);
        return selection.Ok ? TypedResults.Ok(await registry.ListAsync(selection.Scope, ct)) : Projects.ProjectProblems.Refused(selection);
    }

    private static async Task<IResult> Register(HttpRequest request, ClaimsPrincipal user, ModelRegistry registry, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<RegisterModelRequest>(request, "name, experimentId and an optional description", ct);
        if (problem is not null) return problem;
        var r = await registry.RegisterAsync(body!, user, ct);
        return r.Outcome switch
        {
            ModelRegistry.Outcome.Created => TypedResults.Created($"/api/models/{r.Version!.Model}/versions/{r.Version.Version}", r.Version),
            ModelRegistry.Outcome.Existing => TypedResults.Ok(r.Version),
            _ => Refusal(r, "The registration is invalid"),
        };
    }

    /// <summary>An adapter file's limit: far above any adapter of the catalogue's presets (ViT-B/16 LoRA r 8 ≈ 1.2 MB).</summary>
    public const long MaxImportBytes = 256L * 1024 * 1024;

    private static async Task<IResult> Import(string name, string? project, HttpRequest request, ClaimsPrincipal user, ModelRegistry registry, BlobStore blobs,
        AdapterLab.Data.PlatformDbContext db, Projects.ProjectDirectory projects, CancellationToken ct)
    {
        // An imported adapter belongs to the project it is imported into (a new model), or to its model's project.
        var existingProject = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleOrDefaultAsync(
            db.RegisteredModels.Where(m => m.Name == name).Select(m => (Guid?)m.ProjectId), ct);
        var target = existingProject is { } owned && Projects.ProjectAccess.Of(user).CanRead(owned)
            ? new Projects.ProjectSelection(Projects.ProjectScope.Of(owned), await projects.FindAsync(user, owned, ct))
            : await projects.TargetAsync(user, project, ct);
        if (!target.Ok || target.Project is null) return Projects.ProjectProblems.Refused(target.Ok ? target with { Error = "no project", Status = 404 } : target);
        if (!request.HasFormContentType)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["expected multipart/form-data with 'file' and 'spec'"] });
        var form = await request.ReadFormAsync(ct);
        var upload = form.Files.GetFile("file");
        var specText = form["spec"].ToString();
        var errors = new Dictionary<string, string[]>();
        if (upload is null) errors["file"] = ["required: the adapter's safetensors file"];
        AdapterLab.Contracts.Specs.ExperimentSpec? spec = null;
        if (string.IsNullOrWhiteSpace(specText)) errors["spec"] = ["required: the spec the adapter was trained with (JSON)"];
        else
        {
            spec = AdapterLab.Contracts.Specs.SpecJson.TryParse(specText, out var parseErrors);
            var specErrors = spec is null ? parseErrors : AdapterLab.Contracts.Specs.SpecValidator.Validate(spec, false);
            foreach (var (k, v) in specErrors) errors[k == "$" ? "spec" : "spec." + k] = v;
        }
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Invalid adapter import");

        var temp = Path.Combine(Path.GetTempPath(), $"adapterlab-adapter-{Guid.NewGuid():N}.safetensors");
        try
        {
            await using (var file = File.Create(temp))
            await using (var s = upload!.OpenReadStream())
                await s.CopyToAsync(file, ct);
            Dictionary<string, string[]> problems;
            long trainable, total;
            try
            {
                using var reader = AdapterLab.Contracts.Safetensors.SafetensorsReader.Open(File.OpenRead(temp), source: "upload");
                (problems, trainable, total) = AdapterImportCheck.Check(spec!, reader.Tensors.ToList());
            }
            catch (AdapterLab.Contracts.Safetensors.SafetensorsFormatException ex)
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["file"] = [$"not a valid safetensors file: {ex.Message}"] }, title: "Invalid adapter import");
            }
            if (problems.Count > 0) return TypedResults.ValidationProblem(problems, title: "The file does not match its spec");
            var backboneBlob = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleOrDefaultAsync(
                db.Backbones.Where(b => b.Name == spec!.Backbone.Name
                    && (b.ProjectId == target.Project.Id || db.BackboneShares.Any(s => s.BackboneName == b.Name && s.ProjectId == target.Project.Id)))
                    .Select(b => b.BlobHash), ct);
            if (backboneBlob is null)
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["spec.backbone.name"] = [$"no ready backbone named '{spec!.Backbone.Name}' on this platform"] });
            string hash;
            await using (var file = File.OpenRead(temp)) (hash, _, _) = await blobs.PutAsync(file, null, ct);
            var r = await registry.ImportAsync(name, form["description"].ToString() is { Length: > 0 } d ? d : null, spec!,
                AdapterLab.Contracts.Specs.SpecJson.Serialize(spec!), hash, backboneBlob, trainable, total, user, target.Project.Id, ct);
            return r.Outcome switch
            {
                ModelRegistry.Outcome.Created => TypedResults.Created($"/api/models/{r.Version!.Model}/versions/{r.Version.Version}", r.Version),
                ModelRegistry.Outcome.Existing => TypedResults.Ok(r.Version),
                _ => Refusal(r, "The import is invalid"),
            };
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static async Task<IResult> Get(string name, ModelRegistry registry, CancellationToken ct) =>
        await registry.GetAsync(name, ct) is { } model ? TypedResults.Ok(model) : NotFound($"no model named '{name}'");

    private static async Task<IResult> Version(string name, string version, ModelRegistry registry, CancellationToken ct) =>
        await registry.VersionAsync(name, version, ct) is { } v ? TypedResults.Ok(v)
            : NotFound($"model '{name}' has no version '{version}' (a number, 'production' or 'latest')");

    private static async Task<IResult> ChangeStage(string name, int version, HttpRequest request, ClaimsPrincipal user, ModelRegistry registry, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<StageChangeRequest>(request, "stage and an optional comment", ct);
        if (problem is not null) return problem;
        var r = await registry.ChangeStageAsync(name, version, body!, user, ct);
        return r.Outcome is ModelRegistry.Outcome.Changed or ModelRegistry.Outcome.Unchanged ? TypedResults.Ok(r.Version) : Refusal(r, "The stage change is invalid");
    }

    private static async Task<IResult> History(string name, ModelRegistry registry, CancellationToken ct) =>
        await registry.HistoryAsync(name, ct) is { } history ? TypedResults.Ok(history) : NotFound($"no model named '{name}'");

    private static async Task<IResult> Diff(string name, int? from, int? to, ModelRegistry registry, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (from is null) errors["from"] = ["required: a version number"];
        if (to is null) errors["to"] = ["required: a version number"];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        return await registry.DiffAsync(name, from!.Value, to!.Value, ct) is { } diff ? TypedResults.Ok(diff)
            : NotFound($"model '{name}' has no version {from} or no version {to}");
    }

    private static async Task<IResult> Weights(string name, string version, string? include, HttpContext http, ModelRegistry registry, BlobStore blobs, CancellationToken ct)
    {
        include ??= "adapters";
        if (include is not ("adapters" or "full"))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["include"] = ["must be 'adapters' or 'full'"] });
        if (await registry.VersionAsync(name, version, ct) is not { } v)
            return NotFound($"model '{name}' has no version '{version}' (a number, 'production' or 'latest')");
        return await WeightsApi.DownloadAsync(http, blobs, v.AdapterBlob, v.BackboneBlob, include, $"{v.Model}-v{v.Version}-{include}.safetensors", ct);
    }

    private static IResult Refusal(ModelRegistry.Result r, string title) => r.Outcome switch
    {
        ModelRegistry.Outcome.Invalid => TypedResults.ValidationProblem(r.Errors!, title: title),
        ModelRegistry.Outcome.Forbidden => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed", detail: r.Detail),
        ModelRegistry.Outcome.NotFound => NotFound(r.Detail!),
        _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: r.Detail),
    };

    private static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Model not found", detail: detail);
}
