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

    private static async Task<Ok<List<ModelSummaryView>>> List(ModelRegistry registry, CancellationToken ct) =>
        TypedResults.Ok(await registry.ListAsync(ct));

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
