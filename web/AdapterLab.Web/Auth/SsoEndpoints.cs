using AdapterLab.Data.Entities;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;

namespace AdapterLab.Web.Auth;

/// <summary>
/// The OpenID Connect sign-in (authorisation-code flow with PKCE): <c>/account/sso</c> sends the browser to the provider;
/// the provider returns to <c>/signin-oidc</c> (the handler checks state, nonce and the id token, and keeps the result in
/// Identity's external cookie); <c>/account/sso/complete</c> maps the claims (<see cref="SsoClaimMapping"/>), provisions the
/// user (<see cref="SsoProvisioning"/>) and signs them in with the dashboard's own cookie, as a password sign-in would.
/// </summary>
public static class SsoEndpoints
{
    public static IEndpointRouteBuilder MapSsoEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/account/sso", (string? returnUrl, SsoOptions options) =>
            {
                if (!options.Enabled) return Results.NotFound();
                var complete = "/account/sso/complete?returnUrl=" + Uri.EscapeDataString(Local(returnUrl));
                return Results.Challenge(new AuthenticationProperties { RedirectUri = complete }, [SsoOptions.Scheme]);
            })
            .AllowAnonymous().ExcludeFromDescription();

        app.MapGet("/account/sso/complete", async (string? returnUrl, HttpContext http, SsoOptions options, SsoProvisioning provisioning,
                SignInManager<PlatformUser> signIn, ILogger<SsoProvisioning> log) =>
            {
                if (!options.Enabled) return Results.NotFound();
                var external = await http.AuthenticateAsync(IdentityConstants.ExternalScheme);
                await http.SignOutAsync(IdentityConstants.ExternalScheme);
                if (!external.Succeeded || external.Principal is null) return Results.LocalRedirect("~/account/login?sso=failed");
                var identity = SsoClaimMapping.Map(external.Principal.Claims, options, out var error);
                if (identity is null)
                {
                    log.LogWarning("Single sign-on refused: {Error}", error);
                    return Results.LocalRedirect("~/account/login?sso=claims");
                }
                var (user, refusal) = await provisioning.ProvisionAsync(identity, http.RequestAborted);
                if (user is null)
                {
                    log.LogWarning("Single sign-on refused for {Email}: {Refusal}", identity.Email, refusal);
                    return Results.LocalRedirect(refusal == "disabled" ? "~/account/login?sso=disabled" : "~/account/login?sso=failed");
                }
                await signIn.SignInAsync(user, isPersistent: true, authenticationMethod: SsoOptions.Scheme);
                log.LogInformation("Single sign-on: {Email} signed in", identity.Email);
                return Results.LocalRedirect("~" + Local(returnUrl));
            })
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    /// <summary>Only a path on this site (no scheme, no host, no protocol-relative URL): anything else goes home.</summary>
    private static string Local(string? returnUrl) =>
        returnUrl is { Length: > 0 } u && u.StartsWith('/') && !u.StartsWith("//", StringComparison.Ordinal) && !u.StartsWith("/\\", StringComparison.Ordinal) ? u : "/";
}
