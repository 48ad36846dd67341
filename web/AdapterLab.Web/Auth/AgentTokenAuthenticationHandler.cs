using System.Security.Claims;
using System.Text.Encodings.Web;
using AdapterLab.Data;
using AdapterLab.Data.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AdapterLab.Web.Auth;

/// <summary>
/// Authenticates agents by <c>Authorization: Bearer &lt;token&gt;</c> against hashed agent tokens that are neither revoked
/// nor expired, and records the token's last use (at most once a minute: one cheap conditional UPDATE).
/// </summary>
public sealed class AgentTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IDbContextFactory<PlatformDbContext> dbFactory)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>Claim set on an authenticated agent, so policies can tell agents from users.</summary>
    public const string AgentClaim = "agent-token";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var token = header["Bearer ".Length..].Trim();
        if (token.Length == 0) return AuthenticateResult.NoResult();
        await using var db = await dbFactory.CreateDbContextAsync(Context.RequestAborted);
        var now = DateTimeOffset.UtcNow;
        var row = await AgentCredentials.LiveTokenAsync(db, SecretHash.Of(token), now, Context.RequestAborted);
        if (row is null) return AuthenticateResult.Fail("invalid, revoked or expired agent token");
        await AgentCredentials.TouchAsync(db, row, now, Context.RequestAborted);
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, row.Id.ToString()),
            new Claim(ClaimTypes.Name, "agent-token:" + row.Name),
            new Claim(AgentClaim, row.Name),
        ], Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }
}
