using System.Security.Claims;
using AdapterLab.Data;
using AdapterLab.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.ApiKeys;

/// <summary>
/// <c>/api/keys</c> (admin): create, list (prefix only) and revoke any API key. <c>/api/account/keys</c> (a signed-in
/// user): the same for one's own keys, with at most one's role's scopes. Both go through <see cref="ApiKeyIssuer"/>.
/// </summary>
public static class ApiKeysApi
{
    public static IEndpointRouteBuilder MapApiKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/keys").WithTags("API keys")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Scopes.Admin);
        api.MapPost("/", Create).WithName("CreateApiKey").WithSummary("Create an API key; the response holds the key itself, shown this once")
            .ProducesValidationProblem();
        api.MapGet("/", async (ApiKeyIssuer keys, CancellationToken ct) => TypedResults.Ok(await keys.ListAsync(null, ct)))
            .WithName("ListApiKeys").WithSummary("API keys: name, prefix, scopes, owner, created, last used, revoked");
        api.MapDelete("/{id:guid}", async (Guid id, ApiKeyIssuer keys, CancellationToken ct) => await Revoke(keys, id, null, ct))
            .WithName("RevokeApiKey").WithSummary("Revoke an API key (it stops working at once)")
            .ProducesProblem(StatusCodes.Status404NotFound);

        var own = app.MapGroup("/api/account/keys").WithTags("API keys")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(AuthSchemes.SignedInUserPolicy);
        own.MapPost("/", CreateOwn).WithName("CreateOwnApiKey")
            .WithSummary("Create an API key of your own (acting as you, with at most your role's scopes); the key is shown this once")
            .ProducesValidationProblem();
        own.MapGet("/", async (ClaimsPrincipal user, ApiKeyIssuer keys, CancellationToken ct) => TypedResults.Ok(await keys.ListAsync(UserId(user), ct)))
            .WithName("ListOwnApiKeys").WithSummary("Your API keys");
        own.MapDelete("/{id:guid}", async (Guid id, ClaimsPrincipal user, ApiKeyIssuer keys, CancellationToken ct) => await Revoke(keys, id, UserId(user), ct))
            .WithName("RevokeOwnApiKey").WithSummary("Revoke one of your API keys")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    /// <summary>Body of <c>POST /api/keys</c> and <c>POST /api/account/keys</c>.</summary>
    /// <param name="Project">The project the key acts in. Admin keys: default the default project, unless the key holds a
    /// platform scope (admin, models:serve); your own keys: default your current project, with at most your role's scopes there.</param>
    public sealed record CreateKeyRequest(string Name, IReadOnlyList<string> Scopes, string? Project = null);

    private static async Task<Results<Created<CreatedApiKey>, ValidationProblem>> Create(
        CreateKeyRequest body, ClaimsPrincipal user, PlatformDbContext db, ApiKeyIssuer keys, Projects.ProjectDirectory projects, CancellationToken ct)
    {
        // A key made by a signed-in admin is theirs; one made with another API key has no user behind it.
        var caller = user.FindFirstValue(ClaimTypes.NameIdentifier);
        var owner = caller is not null && await db.Users.AnyAsync(u => u.Id == caller, ct) ? caller : null;
        bool platform = body?.Scopes is { } s && (s.Contains(Scopes.Admin) || s.Contains(Scopes.ModelsServe));
        Projects.ProjectSummary? project = null;
        if (body?.Project is not null || !platform)
        {
            var selection = await projects.SelectAsync(user, body?.Project ?? AdapterLab.Data.Entities.Project.DefaultName, ct);
            if (selection.Project is null)
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["project"] = [selection.Error ?? "name one project"] });
            project = selection.Project;
        }
        return Answer(await keys.CreateAsync(body?.Name, body?.Scopes, owner, Scopes.All, project, ct));
    }

    private static async Task<Results<Created<CreatedApiKey>, ValidationProblem>> CreateOwn(
        CreateKeyRequest body, ClaimsPrincipal user, ApiKeyIssuer keys, Projects.ProjectDirectory projects, CancellationToken ct)
    {
        // Your own key acts in one of your projects (default: your current one) with at most your role's scopes there.
        var selection = await projects.SelectAsync(user, body?.Project, ct);
        if (selection.Project is not { } project)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["project"] = [selection.Error ?? "you are a member of no project"] });
        var role = Projects.ProjectAccess.Of(user).RoleIn(project.Id) ?? "";
        return Answer(await keys.CreateAsync(body?.Name, body?.Scopes, UserId(user), Projects.ProjectAccess.ScopesOf(role), project, ct));
    }

    private static Results<Created<CreatedApiKey>, ValidationProblem> Answer((CreatedApiKey? Key, Dictionary<string, string[]> Errors) r) =>
        r.Key is { } key ? TypedResults.Created($"/api/keys/{key.Id}", key) : TypedResults.ValidationProblem(r.Errors);

    private static async Task<Results<NoContent, ProblemHttpResult>> Revoke(ApiKeyIssuer keys, Guid id, string? owner, CancellationToken ct) =>
        await keys.RevokeAsync(id, owner, ct)
            ? TypedResults.NoContent()
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "API key not found", detail: $"no API key with id {id}{(owner is null ? "" : " of yours")}");

    private static string UserId(ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("signed-in user without an id");
}
