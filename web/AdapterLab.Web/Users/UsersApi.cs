using AdapterLab.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AdapterLab.Web.Users;

/// <summary>
/// <c>/api/users</c> (admin): list, add (email, role; the answer holds a one-time link where the user chooses a
/// password), change a role, disable and enable, and make a new one-time password link. See <see cref="UserAdministration"/>.
/// </summary>
public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/users").WithTags("Users")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Scopes.Admin);
        api.MapGet("/", async (UserAdministration admin, CancellationToken ct) => TypedResults.Ok(await admin.ListAsync(ct)))
            .WithName("ListUsers").WithSummary("Users: email, role, disabled, must change password");
        api.MapPost("/", Add).WithName("AddUser")
            .WithSummary("Add a user with a role; the answer holds a one-time link where they choose their password").ProducesValidationProblem();
        api.MapPut("/{id}/role", async (string id, RoleRequest body, UserAdministration admin, System.Security.Claims.ClaimsPrincipal user) =>
                Answer(await admin.SetRoleAsync(id, body?.Role, Actor.Of(user).Name), null))
            .WithName("SetUserRole").WithSummary("Change a user's role").ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/{id}/disable", async (string id, UserAdministration admin) => Answer(await admin.SetDisabledAsync(id, true), null))
            .WithName("DisableUser").WithSummary("Disable a user: no sign-in, no API keys").ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/{id}/enable", async (string id, UserAdministration admin) => Answer(await admin.SetDisabledAsync(id, false), null))
            .WithName("EnableUser").WithSummary("Enable a disabled user").ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/{id}/password-reset", async (string id, UserAdministration admin, HttpRequest request) =>
                Answer(await admin.ResetPasswordAsync(id, (u, t) => Absolute(request, UserAdministration.SetPasswordPath(u, t))), null))
            .WithName("ResetUserPassword").WithSummary("A new one-time link where the user chooses a password (pass it on; no mail is sent)")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public sealed record AddUserRequest(string Email, string Role, string? DisplayName = null);
    public sealed record RoleRequest(string Role);
    public sealed record UserAnswer(UserView User, string? SetPasswordLink);

    private static async Task<IResult> Add(AddUserRequest body, UserAdministration admin, HttpRequest request)
    {
        var change = await admin.AddAsync(body?.Email, body?.Role, body?.DisplayName, (u, t) => Absolute(request, UserAdministration.SetPasswordPath(u, t)),
            Actor.Of(request.HttpContext.User).Name);
        return Answer(change, change.User is { } u ? $"/api/users/{u.Id}" : null);
    }

    private static IResult Answer(UserChange change, string? createdAt)
    {
        if (change.Field == "id") return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "User not found", detail: change.Error);
        if (!change.Ok) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [change.Field!] = [change.Error!] });
        var answer = new UserAnswer(change.User!, change.SetPasswordLink);
        return createdAt is null ? TypedResults.Ok(answer) : TypedResults.Created(createdAt, answer);
    }

    private static string Absolute(HttpRequest request, string path) => $"{request.Scheme}://{request.Host}{request.PathBase}{path}";
}
