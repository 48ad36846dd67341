using System.Security.Claims;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Web.Projects;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AdapterLab.Web.Auth;

/// <summary>
/// A signed-in user's cookie principal: Identity's claims (id, name, platform role), <see cref="PasswordChangeRequirement.Claim"/>
/// when they must choose a password, and one <see cref="ProjectAccess.ClaimType"/> per project membership. Rebuilt at every
/// security-stamp check (each minute), so a membership change reaches open sessions within a minute.
/// </summary>
public sealed class PlatformClaimsFactory(UserManager<PlatformUser> users, RoleManager<IdentityRole> roles, IOptions<IdentityOptions> options,
    IDbContextFactory<PlatformDbContext> dbFactory)
    : UserClaimsPrincipalFactory<PlatformUser, IdentityRole>(users, roles, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(PlatformUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        if (user.MustChangePassword) identity.AddClaim(new Claim(PasswordChangeRequirement.Claim, "true"));
        await using var db = await dbFactory.CreateDbContextAsync();
        var memberships = await db.ProjectMembers.AsNoTracking().Where(m => m.UserId == user.Id)
            .Select(m => new { m.ProjectId, m.Role }).ToListAsync();
        foreach (var m in memberships) identity.AddClaim(new Claim(ProjectAccess.ClaimType, ProjectAccess.Claim(m.ProjectId, m.Role)));
        return identity;
    }
}
