using System.Security.Claims;

namespace AdapterLab.Web.Auth;

/// <summary>
/// A user whose password someone else set (the generated first admin password) must choose their own before anything
/// else: their sign-in carries <see cref="Claim"/> (<see cref="PlatformClaimsFactory"/>), and while it does, dashboard pages redirect to
/// <c>/account/password</c> and the API answers 403 with a problem saying why.
/// </summary>
public static class PasswordChangeRequirement
{
    public const string Claim = "must-change-password";
    public const string PagePath = "/account/password";

    public static IApplicationBuilder UsePasswordChangeRequirement(this IApplicationBuilder app) => app.Use(async (ctx, next) =>
    {
        if (ctx.User.HasClaim(c => c.Type == Claim) && !Allowed(ctx.Request.Path))
        {
            if (ctx.Request.Path.StartsWithSegments("/api"))
            {
                ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
                await Results.Problem(statusCode: 403, title: "Password change required",
                    detail: $"choose a new password at {PagePath} before using the platform").ExecuteAsync(ctx);
                return;
            }
            ctx.Response.Redirect(PagePath + "?required=1");
            return;
        }
        await next();
    });

    private static bool Allowed(PathString path) =>
        path.StartsWithSegments("/account") || path.StartsWithSegments("/_framework") || path.StartsWithSegments("/_content")
        || path.StartsWithSegments("/_blazor") || path.StartsWithSegments("/health") || Path.HasExtension(path.Value);
}
