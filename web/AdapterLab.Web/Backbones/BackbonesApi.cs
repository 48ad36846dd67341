using System.Security.Claims;
using System.Text.RegularExpressions;
using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Safetensors;
using AdapterLab.Data;
using AdapterLab.Data.Blobs;
using AdapterLab.Data.Entities;
using AdapterLab.Web.Auth;
using AdapterLab.Web.Weights;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AdapterLab.Web.Backbones;

/// <summary><c>/api/backbones</c>: named backbones, ready or still being pretrained, and safetensors import.</summary>
public static partial class BackbonesApi
{
    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex NamePattern();

    public static IEndpointRouteBuilder MapBackbonesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/backbones", List).WithName("ListBackbones").WithTags("Backbones")
            .WithSummary("Registered backbones; a backbone is ready once its weights blob exists")
            .RequireAuthorization(Scopes.Read);
        app.MapGet("/api/backbones/{name}", Get).WithName("GetBackbone").WithTags("Backbones")
            .WithSummary("A backbone's page: where it came from (its pretrain and that run's results, or the import) and the experiments that use it")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Scopes.Read);
        app.MapPost("/api/backbones", Import).WithName("ImportBackbone").WithTags("Backbones")
            .WithSummary("Register a backbone from a safetensors file (raw body or multipart field 'file'; query name and preset)")
            .WithDescription("Tensor names and shapes are checked against the preset (common ViT names; fused attn.qkv or separate q/k/v; "
                             + "head.* tensors are ignored; pos_embed may be any square grid). Any extra, missing or mis-shaped tensor "
                             + "answers 400 listing every offending tensor, and nothing is stored or registered.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithMetadata(new Microsoft.AspNetCore.Mvc.DisableRequestSizeLimitAttribute())
            .RequireAuthorization(Scopes.ExperimentsWrite);
        // Weights export lives with the experiments' URL space but is mapped here to keep WebApp untouched.
        app.MapWeightsApi();
        return app;
    }

    private static async Task<Results<Ok<BackbonePage>, ProblemHttpResult>> Get(string name, ClaimsPrincipal user, BackboneDetails details, CancellationToken ct) =>
        await details.LoadAsync(name, Projects.ProjectScope.ReadableBy(Projects.ProjectAccess.Of(user)), ct) is { } page
            ? TypedResults.Ok(page)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Backbone not found", detail: $"no backbone named '{name}'");

    private static async Task<Results<Ok<List<BackboneView>>, ProblemHttpResult>> List(string? project, ClaimsPrincipal user, Projects.ProjectDirectory projects,
        BackboneDetails details, CancellationToken ct)
    {
        var selection = await projects.SelectAsync(user, project, ct);
        if (!selection.Ok) return Projects.ProjectProblems.Refused(selection);
        return TypedResults.Ok((await details.ListAsync(selection.Scope, ct)).Select(r => r.Backbone).ToList());
    }

    private static async Task<Results<Created<BackboneView>, ValidationProblem, ProblemHttpResult>> Import(
        string? name, string? preset, string? project, HttpContext http, PlatformDbContext db, BlobStore blobs, TimeProvider clock, ILoggerFactory logs,
        Projects.ProjectDirectory projects, CancellationToken ct)
    {
        // An imported backbone belongs to the project it is imported into (the caller must be allowed to submit there).
        var target = await projects.TargetAsync(http.User, project, ct);
        if (!target.Ok) return Projects.ProjectProblems.Refused(target);
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(name)) errors["name"] = ["required (query parameter)"];
        else if (!NamePattern().IsMatch(name)) errors["name"] = ["must be a lower-case name (letters, digits, '.', '-', '_')"];
        var p = ModelCatalogue.Find(preset);
        if (p is null) errors["preset"] = [$"unknown preset '{preset}'; expected one of {string.Join(", ", ModelCatalogue.Presets.Select(x => x.Name))}"];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Invalid backbone import");
        if (await db.Backbones.AnyAsync(b => b.Name == name, ct)) return Conflict(name!);

        var sizeFeature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false }) sizeFeature.MaxRequestBodySize = null;

        // Spool the upload to a temporary file (streamed, one buffer in memory): the header is checked before a byte
        // reaches the blob store, so a rejected file leaves nothing behind — no blob, no backbone row.
        var temp = Path.Combine(Path.GetTempPath(), $"adapterlab-import-{Guid.NewGuid():N}.safetensors");
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                if (http.Request.HasFormContentType)
                {
                    var form = await http.Request.ReadFormAsync(ct);
                    var upload = form.Files.GetFile("file") ?? form.Files.FirstOrDefault();
                    if (upload is null)
                        return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["file"] = ["multipart body without a file field"] }, title: "Invalid backbone import");
                    await using var s = upload.OpenReadStream();
                    await s.CopyToAsync(file, ct);
                }
                else await http.Request.Body.CopyToAsync(file, ct);
            }

            Dictionary<string, string[]> problems;
            int tensorCount;
            try
            {
                // Named "upload" in messages: never the server's temporary path.
                using var reader = SafetensorsReader.Open(File.OpenRead(temp), source: "upload", maxHeaderBytes: BackboneImportCheck.MaxHeaderBytes);
                problems = BackboneImportCheck.Check(reader.Tensors, p!);
                if (problems.Count == 0) problems = BackboneImportCheck.CheckContents(reader);
                tensorCount = reader.Tensors.Count;
            }
            catch (SafetensorsFormatException ex)
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["file"] = [$"not a valid safetensors file: {ex.Message}"] },
                    title: "Invalid backbone import");
            }
            if (problems.Count > 0)
                return TypedResults.ValidationProblem(problems, title: $"The file does not match preset {p!.Name}",
                    detail: $"{problems.Count} offending tensor{(problems.Count == 1 ? "" : "s")}: {string.Join(", ", problems.Keys)}");

            string hash;
            await using (var file = new FileStream(temp, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
                (hash, _, _) = await blobs.PutAsync(file, null, ct);
            var now = clock.GetUtcNow();
            var backbone = new Backbone { Name = name!, ProjectId = target.Project!.Id, Preset = p!.Name, BlobHash = hash, Origin = "import", CreatedAt = now, ReadyAt = now };
            db.Backbones.Add(backbone);
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
            {
                return Conflict(name!);
            }
            logs.CreateLogger("AdapterLab.Web.Backbones").LogInformation(
                "Backbone {Name} imported ({Preset}, {Tensors} tensors, blob {Hash}) by {Actor}", name, p.Name, tensorCount, hash,
                http.User.FindFirstValue(ClaimTypes.Name) ?? http.User.Identity?.Name);
            return TypedResults.Created($"/api/backbones/{name}",
                new BackboneView(backbone.Name, backbone.Preset, true, hash, null, backbone.Origin, backbone.CreatedAt, backbone.ReadyAt));
        }
        finally
        {
            try { File.Delete(temp); } catch (IOException) { }
        }
    }

    private static ProblemHttpResult Conflict(string name) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Backbone name already registered",
            detail: $"a backbone named '{name}' already exists", extensions: new Dictionary<string, object?> { ["field"] = "name" });
}
