using AdapterLab.Data;
using AdapterLab.Data.Entities;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Auth;

/// <summary>
/// Turns a provider's word about a user (<see cref="SsoIdentity"/>) into this platform's: the user (found by their
/// provider login, else by email — the provider is trusted with emails — else created without a password), their
/// platform admin role when the admin claim mapping is configured (granted and withdrawn, never the last admin), and,
/// when the provider sent the projects claim, exactly the memberships it names: added, re-roled or removed, each change
/// audited with the actor <c>sso</c>. A disabled user is refused.
/// </summary>
public sealed class SsoProvisioning(UserManager<PlatformUser> users, PlatformDbContext db, SsoOptions options, TimeProvider clock, ILogger<SsoProvisioning> log)
{
    public const string Actor = "sso";

    public async Task<(PlatformUser? User, string? Refusal)> ProvisionAsync(SsoIdentity identity, CancellationToken ct)
    {
        var user = await users.FindByLoginAsync(SsoOptions.Scheme, identity.Subject) ?? await users.FindByEmailAsync(identity.Email);
        if (user is null)
        {
            user = new PlatformUser { UserName = identity.Email, Email = identity.Email, EmailConfirmed = true, DisplayName = identity.Name, LockoutEnabled = true };
            var created = await users.CreateAsync(user);
            if (!created.Succeeded) return (null, string.Join("; ", created.Errors.Select(e => e.Description)));
            await users.AddToRoleAsync(user, Roles.Viewer);
            log.LogInformation("Single sign-on created user {Email}", identity.Email);
        }
        if (user.DisabledAt is not null) return (null, "disabled");
        if (!(await users.GetLoginsAsync(user)).Any(l => l.LoginProvider == SsoOptions.Scheme))
            await users.AddLoginAsync(user, new UserLoginInfo(SsoOptions.Scheme, identity.Subject, options.DisplayName));

        bool changed = false;
        if (options.AdminValue is { Length: > 0 })
        {
            bool isAdmin = await users.IsInRoleAsync(user, Roles.Admin);
            if (identity.IsAdmin && !isAdmin) { await users.AddToRoleAsync(user, Roles.Admin); changed = true; }
            else if (!identity.IsAdmin && isAdmin && (await users.GetUsersInRoleAsync(Roles.Admin)).Any(u => u.Id != user.Id && u.DisabledAt is null))
            {
                await users.RemoveFromRoleAsync(user, Roles.Admin);
                changed = true;
            }
        }
        if (identity.Projects is { } wanted) changed |= await SyncProjectsAsync(user, wanted, ct);
        foreach (var ignored in identity.Ignored) log.LogWarning("Single sign-on: ignored the projects claim value {Value} for {Email}", ignored, identity.Email);
        // Other open sessions of the user pick the change up at their next security-stamp check.
        if (changed) await users.UpdateSecurityStampAsync(user);
        return (user, null);
    }

    private async Task<bool> SyncProjectsAsync(PlatformUser user, IReadOnlyDictionary<string, string> wanted, CancellationToken ct)
    {
        var names = wanted.Keys.ToArray();
        var projects = await db.Projects.AsNoTracking().Where(p => names.Contains(p.Name)).ToDictionaryAsync(p => p.Id, p => p.Name, ct);
        foreach (var unknown in names.Except(projects.Values))
            log.LogWarning("Single sign-on: {Email} is in project {Project} by the provider, but no such project exists here", user.Email, unknown);
        var held = await db.ProjectMembers.Where(m => m.UserId == user.Id).ToListAsync(ct);
        var now = clock.GetUtcNow();
        bool changed = false;
        foreach (var (id, name) in projects)
        {
            var role = wanted[name];
            var member = held.FirstOrDefault(m => m.ProjectId == id);
            if (member?.Role == role) continue;
            if (member is null) db.ProjectMembers.Add(new ProjectMember { ProjectId = id, UserId = user.Id, Role = role, AddedAt = now });
            Audit(id, member is null ? "member.added" : "member.role", user.Email, member is null ? role : $"{member.Role} → {role}", now);
            if (member is not null) member.Role = role;
            changed = true;
        }
        foreach (var member in held.Where(m => !projects.ContainsKey(m.ProjectId)))
        {
            db.ProjectMembers.Remove(member);
            Audit(member.ProjectId, "member.removed", user.Email, $"{member.Role} (not in the provider's projects claim)", now);
            changed = true;
        }
        await db.SaveChangesAsync(ct);
        return changed;
    }

    private void Audit(Guid project, string action, string? subject, string detail, DateTimeOffset now) =>
        db.ProjectAudit.Add(new ProjectAuditEntry { ProjectId = project, Action = action, Subject = subject, Detail = detail, Actor = Actor, At = now });
}
