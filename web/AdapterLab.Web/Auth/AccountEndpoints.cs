using AdapterLab.Data.Entities;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace AdapterLab.Web.Auth;

/// <summary>Cookie sign-out for the dashboard (sign-in is the <c>/account/login</c> page).</summary>
public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        // A form post (antiforgery-checked): a link could sign people out from another site.
        app.MapPost("/account/logout", async (SignInManager<PlatformUser> signIn, [FromForm] string? returnUrl) =>
            {
                await signIn.SignOutAsync();
                return TypedResults.LocalRedirect("~/account/login");
            })
            .ExcludeFromDescription();
        return app;
    }
}
