using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using Microsoft.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace AdapterLab.EndToEndTests;

/// <summary>
/// An OpenID Connect identity provider in the test process, built with OpenIddict's server (degraded mode: one client, no
/// stores): discovery, signing keys, the authorisation endpoint behind its own sign-in form, and the token endpoint of the
/// authorisation-code flow with PKCE. Its users, and the claims they carry (email, name, the projects claim, groups), are
/// set by the tests. Plain http on 127.0.0.1, a port of its own.
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    public const string ClientId = "adapterlab-dashboard";
    public const string ClientSecret = "test-client-secret-0123456789";
    public const string ProjectsClaim = "adapterlab_projects";
    public const string AdminGroup = "adapterlab-admins";
    private const string LoginScheme = "idp-login";

    /// <summary>A user of the provider: their password, subject, email and the claims it gives about them.</summary>
    public sealed record User(string Password, string Subject, string Email, string Name)
    {
        public string[] Projects { get; set; } = [];
        public string[] Groups { get; set; } = [];
    }

    public ConcurrentDictionary<string, User> Users { get; } = new(StringComparer.Ordinal);
    public Uri Issuer { get; private set; } = null!;
    private WebApplication? _app;

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ApplicationName = "AdapterLab.TestIdentityProvider" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.AddFilter((_, level) => level >= LogLevel.Warning);
        builder.Services.AddAuthentication(LoginScheme).AddCookie(LoginScheme, o =>
        {
            o.Cookie.Name = "test-idp";
            o.LoginPath = "/login";
        });
        builder.Services.AddOpenIddict().AddServer(o =>
        {
            o.SetAuthorizationEndpointUris("connect/authorize").SetTokenEndpointUris("connect/token");
            o.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
            o.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.Email);
            o.AddEphemeralEncryptionKey().AddEphemeralSigningKey();
            o.DisableAccessTokenEncryption();
            // No application store: the one client is checked here.
            o.EnableDegradedMode();
            o.AddEventHandler<OpenIddictServerEvents.ValidateAuthorizationRequestContext>(h => h.UseInlineHandler(context =>
            {
                if (context.ClientId != ClientId) context.Reject(Errors.InvalidClient, "unknown client");
                else if (context.RedirectUri is not { } uri || !uri.EndsWith("/signin-oidc", StringComparison.Ordinal) || !uri.StartsWith("http://127.0.0.1:", StringComparison.Ordinal))
                    context.Reject(Errors.InvalidRequest, "redirect_uri is not the dashboard's callback");
                return default;
            }));
            o.AddEventHandler<OpenIddictServerEvents.ValidateTokenRequestContext>(h => h.UseInlineHandler(context =>
            {
                if (context.ClientId != ClientId || context.ClientSecret != ClientSecret) context.Reject(Errors.InvalidClient, "client authentication failed");
                return default;
            }));
            o.UseAspNetCore().EnableAuthorizationEndpointPassthrough().DisableTransportSecurityRequirement();
        });
        _app = builder.Build();
        _app.UseAuthentication();

        _app.MapGet("/login", (string? returnUrl) => Results.Content($"""
            <!doctype html><html><body><h1>Test identity provider</h1>
            <form method="post" action="/login">
              <input type="hidden" name="returnUrl" value="{WebUtility.HtmlEncode(returnUrl ?? "/")}" />
              <label>User <input id="idp-user" name="user" /></label>
              <label>Password <input id="idp-password" name="password" type="password" /></label>
              <button id="idp-sign-in" type="submit">Sign in</button>
            </form></body></html>
            """, "text/html"));
        _app.MapPost("/login", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync();
            string name = form["user"].ToString(), password = form["password"].ToString(), returnUrl = form["returnUrl"].ToString();
            if (!Users.TryGetValue(name, out var user) || user.Password != password) return Results.Content("wrong user or password", "text/plain", statusCode: 401);
            await http.SignInAsync(LoginScheme, new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], LoginScheme)));
            return Results.Redirect(returnUrl.StartsWith("/connect/authorize", StringComparison.Ordinal) ? returnUrl : "/");
        });
        _app.MapMethods("/connect/authorize", ["GET", "POST"], async (HttpContext http) =>
        {
            var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("not an OpenID Connect request");
            var login = await http.AuthenticateAsync(LoginScheme);
            if (!login.Succeeded || login.Principal?.Identity?.Name is not { } name || !Users.TryGetValue(name, out var user))
                return Results.Challenge(new AuthenticationProperties { RedirectUri = http.Request.Path + http.Request.QueryString }, [LoginScheme]);
            var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
            identity.SetClaim(Claims.Subject, user.Subject).SetClaim(Claims.Email, user.Email).SetClaim(Claims.Name, user.Name);
            foreach (var p in user.Projects) identity.AddClaim(new Claim(ProjectsClaim, p));
            foreach (var g in user.Groups) identity.AddClaim(new Claim("groups", g));
            identity.SetScopes(request.GetScopes());
            // Everything goes into the id token: the dashboard reads the claims there.
            identity.SetDestinations(_ => [Destinations.IdentityToken, Destinations.AccessToken]);
            return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        });
        await _app.StartAsync();
        Issuer = new Uri(_app.Urls.First() + "/");
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
