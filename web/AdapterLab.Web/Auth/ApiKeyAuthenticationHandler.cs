using System.Security.Claims;
using System.Text.Encodings.Web;
using AdapterLab.Data;
using AdapterLab.Web.Projects;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AdapterLab.Web.Auth;

/// <summary>
/// Authenticates <c>X-Api-Key</c>: the key's sha256 must match a non-revoked row; its scopes become claims and the use is
/// recorded (<see cref="ApiKeyUsage"/>, throttled, off the request path).
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IDbContextFactory<PlatformDbContext> dbFactory, ApiKeyUsage usage)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>Claim carrying the id of the API key a request was authenticated with.</summary>
    public const string ApiKeyClaim = "api_key";

    /// <summary>Claim carrying the one project a project key acts in.</summary>
    public const string KeyProjectClaim = "key_project";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(AuthSchemes.ApiKeyHeader, out var values) || string.IsNullOrWhiteSpace(values.ToString()))
            return AuthenticateResult.NoResult();
        var hash = SecretHash.Of(values.ToString().Trim());
        await using var db = await dbFactory.CreateDbContextAsync(Context.RequestAborted);
        var key = await db.ApiKeys.AsNoTracking()
            .Where(k => k.Hash == hash && k.RevokedAt == null)
            .Select(k => new
            {
                k.Id, k.Name, k.Scopes, k.OwnerUserId, k.ProjectId,
                OwnerDisabled = k.OwnerUserId != null && db.Users.Any(u => u.Id == k.OwnerUserId && u.DisabledAt != null),
                OwnerName = db.Users.Where(u => u.Id == k.OwnerUserId).Select(u => u.UserName).FirstOrDefault(),
                OwnerIsAdmin = k.OwnerUserId != null && db.UserRoles.Any(ur => ur.UserId == k.OwnerUserId
                    && db.Roles.Any(r => r.Id == ur.RoleId && r.Name == Roles.Admin)),
                OwnerRole = db.ProjectMembers.Where(m => m.UserId == k.OwnerUserId && m.ProjectId == k.ProjectId).Select(m => m.Role).FirstOrDefault(),
                ProjectName = db.Projects.Where(p => p.Id == k.ProjectId).Select(p => p.Name).FirstOrDefault(),
            })
            .SingleOrDefaultAsync(Context.RequestAborted);
        if (key is null) return AuthenticateResult.Fail("invalid or revoked API key");
        if (key.OwnerDisabled) return AuthenticateResult.Fail("the API key's owner is disabled");
        usage.Record(key.Id);

        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, key.Id.ToString()),
            // A user's own key acts as that user (their experiments are theirs, however they submitted them);
            // a key with no user behind it (the bootstrap key, automation) is named after itself.
            new(ClaimTypes.Name, key.OwnerName ?? "apikey:" + key.Name),
            new(ApiKeyClaim, key.Id.ToString()),
            new(Actor.OwnerClaim, key.OwnerUserId is { } owner && key.OwnerName is not null ? Actor.UserOwner(owner) : Actor.KeyOwner(key.Id)),
        };
        claims.AddRange(key.Scopes.Select(s => new Claim(Scopes.ClaimType, s)));
        if (key.ProjectId is { } project)
        {
            // A project key acts in its project only, as the lesser of what its scopes say and what its owner may do there
            // now (an owner removed from the project, or made a viewer, takes the key's power with them).
            var keyRole = key.Scopes.Contains(Scopes.ExperimentsWrite) || key.Scopes.Contains(Scopes.SuitesTrigger) ? Roles.Researcher : Roles.Viewer;
            var role = key.OwnerUserId is null || key.OwnerIsAdmin ? keyRole : ProjectAccess.Lesser(keyRole, key.OwnerRole);
            if (role is null) return AuthenticateResult.Fail($"the API key's owner is no longer a member of project '{key.ProjectName}'");
            claims.Add(new Claim(ProjectAccess.ClaimType, ProjectAccess.Claim(project, role)));
            claims.Add(new Claim(KeyProjectClaim, project.ToString("D")));
        }
        var identity = new ClaimsIdentity(claims, Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        // The body (ProblemDetails) is written by the status-code-pages middleware, like every other empty 4xx.
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = Scheme.Name;
        return Task.CompletedTask;
    }
}
