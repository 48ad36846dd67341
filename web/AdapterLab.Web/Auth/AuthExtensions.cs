using AdapterLab.Data;
using AdapterLab.Data.Entities;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;

namespace AdapterLab.Web.Auth;

/// <summary>Authentication (API keys, agent tokens, Identity cookies), scope policies and credential bootstrap.</summary>
public static class AuthExtensions
{
    public static WebApplicationBuilder AddPlatformAuth(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(BootstrapOptions.From(builder.Configuration));
        services.AddSingleton<ApiKeyUsage>();

        var sso = SsoOptions.From(builder.Configuration);
        services.AddSingleton(sso);
        services.AddScoped<SsoProvisioning>();
        var authentication = services.AddAuthentication(o =>
            {
                o.DefaultScheme = AuthSchemes.Platform;
                o.DefaultChallengeScheme = AuthSchemes.Platform;
                o.DefaultForbidScheme = AuthSchemes.Platform;
            })
            .AddPolicyScheme(AuthSchemes.Platform, "API key or dashboard cookie", o => o.ForwardDefaultSelector = SelectScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(AuthSchemes.ApiKey, null)
            .AddScheme<AuthenticationSchemeOptions, AgentTokenAuthenticationHandler>(AuthSchemes.AgentToken, null);
        authentication.AddIdentityCookies();
        if (sso.Enabled)
            authentication.AddOpenIdConnect(SsoOptions.Scheme, sso.DisplayName, o =>
            {
                o.Authority = sso.Authority;
                o.ClientId = sso.ClientId;
                o.ClientSecret = sso.ClientSecret;
                o.ResponseType = "code";
                o.UsePkce = true;
                o.ResponseMode = "query";
                o.Scope.Clear();
                foreach (var scope in sso.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries)) o.Scope.Add(scope);
                o.RequireHttpsMetadata = sso.RequireHttpsMetadata;
                // The provider's claims as it sent them (sub, email, the projects claim), read from the id token.
                o.MapInboundClaims = false;
                o.GetClaimsFromUserInfoEndpoint = false;
                o.SaveTokens = false;
                o.SignInScheme = IdentityConstants.ExternalScheme;
                o.CallbackPath = "/signin-oidc";
                // Correlation and nonce cookies follow the request's scheme (a provider on plain http on this machine in tests).
                o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.CorrelationCookie.SameSite = SameSiteMode.Lax;
                o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.NonceCookie.SameSite = SameSiteMode.Lax;
            });

        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/account/login";
            o.AccessDeniedPath = "/account/login";
            o.Cookie.Name = "adapterlab";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.SlidingExpiration = true;
            // The API answers with status codes, never with a redirect to the sign-in page.
            o.Events.OnRedirectToLogin = ctx => Redirect(ctx, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = ctx => Redirect(ctx, StatusCodes.Status403Forbidden);
        });

        services.AddIdentityCore<PlatformUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                // Length, not composition rules (NIST SP 800-63B): at least 12 characters of any kind.
                o.Password.RequiredLength = 12;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireDigit = false;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<PlatformDbContext>()
            .AddSignInManager()
            .AddClaimsPrincipalFactory<PlatformClaimsFactory>()
            .AddDefaultTokenProviders();
        // A disabled user's or a changed role's sessions end within a minute (the cookie's security stamp is re-checked).
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.FromMinutes(1));

        services.AddSingleton<IAuthorizationHandler, ScopeAuthorizationHandler>();
        services.AddAuthorization(o =>
        {
            foreach (var scope in Scopes.All)
                o.AddPolicy(scope, p => p.RequireAuthenticatedUser().AddRequirements(new ScopeRequirement(scope)));
            o.AddPolicy(AuthSchemes.SignedInUserPolicy, p => p
                .AddAuthenticationSchemes(IdentityConstants.ApplicationScheme)
                .RequireAuthenticatedUser());
            o.AddPolicy(Scopes.AgentPolicy, p => p
                .AddAuthenticationSchemes(AuthSchemes.AgentToken)
                .RequireAuthenticatedUser()
                .RequireClaim(AgentTokenAuthenticationHandler.AgentClaim));
        });
        services.AddCascadingAuthenticationState();
        services.AddHostedService<CredentialBootstrap>();
        return builder;
    }

    private static string SelectScheme(HttpContext ctx)
    {
        if (ctx.Request.Headers.ContainsKey(AuthSchemes.ApiKeyHeader)) return AuthSchemes.ApiKey;
        if (ctx.Request.Cookies.ContainsKey("adapterlab")) return IdentityConstants.ApplicationScheme;
        // API callers without credentials get a 401 from the API key scheme; browsers are sent to the sign-in page.
        return ctx.Request.Path.StartsWithSegments("/api") ? AuthSchemes.ApiKey : IdentityConstants.ApplicationScheme;
    }

    private static Task Redirect(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> ctx, int apiStatus)
    {
        if (ctx.Request.Path.StartsWithSegments("/api")) ctx.Response.StatusCode = apiStatus;
        else ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }
}
