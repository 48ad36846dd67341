using AdapterLab.Data.Entities;
using AdapterLab.Web.Auth;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Users;

/// <summary>A user as an admin sees them.</summary>
public sealed record UserView(string Id, string Email, string? DisplayName, string Role, bool Disabled, bool MustChangePassword);

/// <summary>The outcome of an administrative change: the user, a one-time set-password link when one was made, or the field and reason it was refused for.</summary>
public sealed record UserChange(UserView? User, string? SetPasswordLink, string? Field, string? Error)
{
    public bool Ok => Error is null;
    public static UserChange Refused(string field, string error) => new(null, null, field, error);
}

/// <summary>
/// Users and roles, for the admin API (<c>/api/users</c>) and the admin page alike: add a user (email, role) with a
/// one-time link to choose a password, change a role, disable and enable (a disabled user can neither sign in nor use
/// their API keys; their sessions end at the next security-stamp check), and reset a password (a new one-time link; mail
/// is optional and not configured here, so the admin passes the link on). The last enabled admin cannot be demoted or
/// disabled.
/// </summary>
/// A user's platform role is also their role in the default project (a new user joins it; a role change there follows),
/// so single-team use works as before projects; their roles in other projects are set per project (<see cref="Projects.ProjectAdministration"/>).
public sealed class UserAdministration(UserManager<PlatformUser> users, AdapterLab.Data.PlatformDbContext db, TimeProvider clock)
{
    public async Task<IReadOnlyList<UserView>> ListAsync(CancellationToken ct)
    {
        var all = await users.Users.AsNoTracking().OrderBy(u => u.Email).ToListAsync(ct);
        var result = new List<UserView>(all.Count);
        foreach (var u in all) result.Add(await ViewAsync(u));
        return result;
    }

    public async Task<UserChange> AddAsync(string? email, string? role, string? displayName, Func<string, string, string> link, string actor)
    {
        email = email?.Trim();
        if (string.IsNullOrEmpty(email) || email.Length > 256 || !new System.ComponentModel.DataAnnotations.EmailAddressAttribute().IsValid(email) || email.Any(char.IsControl))
            return UserChange.Refused("email", "give a valid email address");
        if (role is null || !Roles.All.Contains(role)) return UserChange.Refused("role", $"one of {string.Join(", ", Roles.All)}");
        if (displayName is { Length: > 100 } || displayName?.Any(char.IsControl) == true) return UserChange.Refused("displayName", "at most 100 characters, no control characters");
        if (await users.FindByEmailAsync(email) is not null) return UserChange.Refused("email", "a user with this email exists");
        var user = new PlatformUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = string.IsNullOrWhiteSpace(displayName) ? null : displayName.Trim(), LockoutEnabled = true };
        var created = await users.CreateAsync(user);
        if (!created.Succeeded) return UserChange.Refused("email", string.Join("; ", created.Errors.Select(e => e.Description)));
        await users.AddToRoleAsync(user, role);
        await SetDefaultMembershipAsync(user, role, actor);
        return new UserChange(await ViewAsync(user), await LinkAsync(user, link), null, null);
    }

    public async Task<UserChange> SetRoleAsync(string id, string? role, string actor)
    {
        if (role is null || !Roles.All.Contains(role)) return UserChange.Refused("role", $"one of {string.Join(", ", Roles.All)}");
        var user = await users.FindByIdAsync(id);
        if (user is null) return UserChange.Refused("id", "no such user");
        var current = await users.GetRolesAsync(user);
        if (current.Contains(Roles.Admin) && role != Roles.Admin && await IsLastAdminAsync(user))
            return UserChange.Refused("role", "this is the last enabled admin; make another user admin first");
        if (current.Count > 0) await users.RemoveFromRolesAsync(user, current);
        await users.AddToRoleAsync(user, role);
        await SetDefaultMembershipAsync(user, role, actor);
        await users.UpdateSecurityStampAsync(user);
        return new UserChange(await ViewAsync(user), null, null, null);
    }

    /// <summary>The user's role in the default project follows their platform role (audited like any membership change).</summary>
    private async Task SetDefaultMembershipAsync(PlatformUser user, string role, string actor)
    {
        var now = clock.GetUtcNow();
        var member = await db.ProjectMembers.SingleOrDefaultAsync(m => m.ProjectId == Project.DefaultId && m.UserId == user.Id);
        if (member?.Role == role) return;
        if (member is null) db.ProjectMembers.Add(new ProjectMember { ProjectId = Project.DefaultId, UserId = user.Id, Role = role, AddedAt = now });
        Projects.ProjectAdministration.AuditDefaultMembership(db, member is null ? "member.added" : "member.role", user.Email,
            member is null ? role : $"{member.Role} → {role}", actor, now);
        if (member is not null) member.Role = role;
        await db.SaveChangesAsync();
    }

    public async Task<UserChange> SetDisabledAsync(string id, bool disabled)
    {
        var user = await users.FindByIdAsync(id);
        if (user is null) return UserChange.Refused("id", "no such user");
        if (disabled && (await users.GetRolesAsync(user)).Contains(Roles.Admin) && await IsLastAdminAsync(user))
            return UserChange.Refused("user", "this is the last enabled admin; it cannot be disabled");
        user.DisabledAt = disabled ? user.DisabledAt ?? clock.GetUtcNow() : null;
        user.LockoutEnabled = true;
        user.LockoutEnd = disabled ? DateTimeOffset.MaxValue : null;
        await users.UpdateAsync(user);
        await users.UpdateSecurityStampAsync(user);
        return new UserChange(await ViewAsync(user), null, null, null);
    }

    public async Task<UserChange> ResetPasswordAsync(string id, Func<string, string, string> link)
    {
        var user = await users.FindByIdAsync(id);
        if (user is null) return UserChange.Refused("id", "no such user");
        return new UserChange(await ViewAsync(user), await LinkAsync(user, link), null, null);
    }

    private async Task<string> LinkAsync(PlatformUser user, Func<string, string, string> link) =>
        link(user.Id, await users.GeneratePasswordResetTokenAsync(user));

    private async Task<bool> IsLastAdminAsync(PlatformUser user) =>
        !(await users.GetUsersInRoleAsync(Roles.Admin)).Any(u => u.Id != user.Id && u.DisabledAt is null);

    private async Task<UserView> ViewAsync(PlatformUser u) =>
        new(u.Id, u.Email ?? "", u.DisplayName, (await users.GetRolesAsync(u)).FirstOrDefault() ?? "", u.DisabledAt is not null, u.MustChangePassword);

    /// <summary>The dashboard link where <paramref name="userId"/> chooses a password with a one-time <paramref name="token"/>.</summary>
    public static string SetPasswordPath(string userId, string token) =>
        $"/account/set-password?user={Uri.EscapeDataString(userId)}&token={Uri.EscapeDataString(token)}";
}
