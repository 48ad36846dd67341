using System.Security.Claims;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Web.Auth;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Projects;

public sealed record ProjectMemberView(string UserId, string Email, string Role, DateTimeOffset AddedAt);
public sealed record ProjectQuotaView(string Pool, int MaxSlots);
public sealed record ProjectAuditView(string Action, string? Subject, string? Detail, string Actor, DateTimeOffset At);
public sealed record ProjectDetails(Guid Id, string Name, string? Description, string Role, int? PriorityCeiling,
    IReadOnlyList<ProjectQuotaView> Quotas, IReadOnlyList<ProjectMemberView>? Members, IReadOnlyList<string> SharedBackbones);

/// <summary>The outcome of a change: done, or refused with the field, reason and status.</summary>
public sealed record ProjectChange(string? Field = null, string? Error = null, int Status = 200)
{
    public bool Ok => Error is null;
    public static readonly ProjectChange Done = new();
    public static ProjectChange Refused(string field, string error, int status = StatusCodes.Status400BadRequest) => new(field, error, status);
}

/// <summary>
/// Projects and their members: a platform admin creates projects and sets their quotas and priority ceiling (fairness
/// between projects is not a project's own call); a project's admins add, re-role and remove its members and share its
/// backbones. Every change is written to <c>project_audit</c> with its actor in the same transaction, and a member whose
/// role changed has their security stamp renewed, so their open sessions pick the change up within a minute.
/// </summary>
public sealed class ProjectAdministration(PlatformDbContext db, UserManager<PlatformUser> users, TimeProvider clock)
{
    public const int MaxQuotaSlots = 10_000;

    public async Task<(ProjectSummary? Project, ProjectChange Change)> CreateAsync(ClaimsPrincipal user, string? name, string? description, CancellationToken ct)
    {
        Fresh();
        if (!ProjectAccess.Of(user).Everything) return (null, ProjectChange.Refused("project", "only a platform admin creates projects", 403));
        name = name?.Trim();
        if (!ProjectNames.IsValid(name))
            return (null, ProjectChange.Refused("name", "3 to 40 lower-case letters, digits and hyphens, starting and ending with a letter or digit"));
        if (description is { Length: > 1000 } || description?.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t') == true
            || (description is not null && !ProjectNames.IsWellFormed(description)))
            return (null, ProjectChange.Refused("description", "at most 1,000 characters, no control characters"));
        if (await db.Projects.AnyAsync(p => p.Name == name, ct)) return (null, ProjectChange.Refused("name", $"a project named '{name}' exists", 409));
        var now = clock.GetUtcNow();
        var project = new Project { Id = Guid.CreateVersion7(now), Name = name, Description = string.IsNullOrWhiteSpace(description) ? null : description.Trim(), CreatedBy = ActorName(user), CreatedAt = now };
        db.Projects.Add(project);
        Audit(project.Id, "project.created", name, null, user, now);
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) { return (null, ProjectChange.Refused("name", $"a project named '{name}' exists", 409)); }
        return (new ProjectSummary(project.Id, project.Name, project.Description, Roles.Admin, null), ProjectChange.Done);
    }

    public async Task<ProjectDetails?> DetailsAsync(ClaimsPrincipal user, Guid projectId, CancellationToken ct)
    {
        Fresh();
        var access = ProjectAccess.Of(user);
        if (!access.CanRead(projectId)) return null;
        var p = await db.Projects.AsNoTracking().SingleOrDefaultAsync(x => x.Id == projectId, ct);
        if (p is null) return null;
        var quotas = await db.ProjectQuotas.AsNoTracking().Where(q => q.ProjectId == projectId).OrderBy(q => q.Pool)
            .Select(q => new ProjectQuotaView(q.Pool, q.MaxSlots)).ToListAsync(ct);
        List<ProjectMemberView>? members = null;
        if (access.CanAdminister(projectId))
            members = await db.ProjectMembers.AsNoTracking().Where(m => m.ProjectId == projectId)
                .Join(db.Users, m => m.UserId, u => u.Id, (m, u) => new ProjectMemberView(u.Id, u.Email ?? "", m.Role, m.AddedAt))
                .OrderBy(m => m.Email).ToListAsync(ct);
        var shared = await db.BackboneShares.AsNoTracking().Where(s => s.ProjectId == projectId).Select(s => s.BackboneName).OrderBy(n => n).ToListAsync(ct);
        return new ProjectDetails(p.Id, p.Name, p.Description, access.RoleIn(projectId) ?? "", p.PriorityCeiling, quotas, members, shared);
    }

    /// <summary>Adds <paramref name="email"/> to the project with <paramref name="role"/>, or changes their role there.</summary>
    public async Task<ProjectChange> SetMemberAsync(ClaimsPrincipal user, Guid projectId, string? email, string? role, CancellationToken ct)
    {
        Fresh();
        if (!ProjectAccess.Of(user).CanAdminister(projectId)) return ProjectChange.Refused("project", "managing members needs the project's admin role", 403);
        if (role is null || !Roles.All.Contains(role)) return ProjectChange.Refused("role", $"one of {string.Join(", ", Roles.All)}");
        var member = ProjectNames.IsLookup(email?.Trim()) ? await users.FindByEmailAsync(email!.Trim()) : null;
        if (member is null) return ProjectChange.Refused("email", "no user with this email; an admin adds users first", 404);
        var now = clock.GetUtcNow();
        var existing = await db.ProjectMembers.SingleOrDefaultAsync(m => m.ProjectId == projectId && m.UserId == member.Id, ct);
        if (existing?.Role == role) return ProjectChange.Done;
        if (existing is not null && existing.Role == Roles.Admin && role != Roles.Admin && await IsLastAdminAsync(projectId, member.Id, ct))
            return ProjectChange.Refused("role", "this is the project's last admin; make another member admin first", 409);
        if (existing is null)
        {
            db.ProjectMembers.Add(new ProjectMember { ProjectId = projectId, UserId = member.Id, Role = role, AddedAt = now });
            Audit(projectId, "member.added", member.Email, role, user, now);
        }
        else
        {
            Audit(projectId, "member.role", member.Email, $"{existing.Role} → {role}", user, now);
            existing.Role = role;
        }
        await db.SaveChangesAsync(ct);
        await users.UpdateSecurityStampAsync(member);
        return ProjectChange.Done;
    }

    public async Task<ProjectChange> RemoveMemberAsync(ClaimsPrincipal user, Guid projectId, string? email, CancellationToken ct)
    {
        Fresh();
        if (!ProjectAccess.Of(user).CanAdminister(projectId)) return ProjectChange.Refused("project", "managing members needs the project's admin role", 403);
        var member = ProjectNames.IsLookup(email?.Trim()) ? await users.FindByEmailAsync(email!.Trim()) : null;
        var existing = member is null ? null : await db.ProjectMembers.SingleOrDefaultAsync(m => m.ProjectId == projectId && m.UserId == member.Id, ct);
        if (existing is null) return ProjectChange.Refused("email", "not a member of this project", 404);
        if (existing.Role == Roles.Admin && await IsLastAdminAsync(projectId, member!.Id, ct))
            return ProjectChange.Refused("email", "this is the project's last admin; make another member admin first", 409);
        db.ProjectMembers.Remove(existing);
        Audit(projectId, "member.removed", member!.Email, existing.Role, user, clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
        await users.UpdateSecurityStampAsync(member);
        return ProjectChange.Done;
    }

    /// <summary>Sets (or with null removes) the project's slot limit in <paramref name="pool"/>.</summary>
    public async Task<ProjectChange> SetQuotaAsync(ClaimsPrincipal user, Guid projectId, string pool, int? maxSlots, CancellationToken ct)
    {
        Fresh();
        if (!ProjectAccess.Of(user).Everything) return ProjectChange.Refused("project", "quotas are set by a platform admin", 403);
        if (!AdapterLab.Contracts.Specs.SpecValidator.IsPoolName(pool)) return ProjectChange.Refused("pool", "a lower-case pool name such as 'cpu' or 'cuda'");
        if (maxSlots is < 0 or > MaxQuotaSlots) return ProjectChange.Refused("maxSlots", $"between 0 and {MaxQuotaSlots:N0} (or null for no limit)");
        var existing = await db.ProjectQuotas.SingleOrDefaultAsync(q => q.ProjectId == projectId && q.Pool == pool, ct);
        var before = existing is null ? "no limit" : $"{existing.MaxSlots} slots";
        if (maxSlots is null) { if (existing is not null) db.ProjectQuotas.Remove(existing); }
        else if (existing is null) db.ProjectQuotas.Add(new ProjectQuota { ProjectId = projectId, Pool = pool, MaxSlots = maxSlots.Value });
        else existing.MaxSlots = maxSlots.Value;
        Audit(projectId, "quota.set", pool, $"{before} → {(maxSlots is { } m ? $"{m} slots" : "no limit")}", user, clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
        return ProjectChange.Done;
    }

    /// <summary>Sets (or with null removes) the priority ceiling; queued experiments above it are lowered to it.</summary>
    public async Task<ProjectChange> SetPriorityCeilingAsync(ClaimsPrincipal user, Guid projectId, int? ceiling, CancellationToken ct)
    {
        Fresh();
        if (!ProjectAccess.Of(user).Everything) return ProjectChange.Refused("project", "the priority ceiling is set by a platform admin", 403);
        if (ceiling is < -1000 or > 1000) return ProjectChange.Refused("priorityCeiling", "between -1000 and 1000 (or null for none)");
        var project = await db.Projects.SingleOrDefaultAsync(p => p.Id == projectId, ct);
        if (project is null) return ProjectChange.Refused("project", "no such project", 404);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        Audit(projectId, "ceiling.set", project.Name, $"{project.PriorityCeiling?.ToString() ?? "none"} → {ceiling?.ToString() ?? "none"}", user, clock.GetUtcNow());
        project.PriorityCeiling = ceiling;
        await db.SaveChangesAsync(ct);
        if (ceiling is { } c)
            await db.Experiments.Where(e => e.ProjectId == projectId && e.Status == Contracts.Lifecycle.ExperimentStatus.Queued && e.Priority > c)
                .ExecuteUpdateAsync(u => u.SetProperty(e => e.Priority, c), ct);
        await tx.CommitAsync(ct);
        return ProjectChange.Done;
    }

    /// <summary>Shares a backbone of its project read-only with <paramref name="withProject"/> (the owning project's admins only).</summary>
    public async Task<ProjectChange> ShareBackboneAsync(ClaimsPrincipal user, string backbone, string? withProject, CancellationToken ct)
    {
        Fresh();
        var b = ProjectNames.IsLookup(backbone, 100) ? await db.Backbones.AsNoTracking().SingleOrDefaultAsync(x => x.Name == backbone, ct) : null;
        var access = ProjectAccess.Of(user);
        var readable = access.Readable?.ToArray();
        bool sharedWithReader = b is not null && readable is not null
                                && await db.BackboneShares.AnyAsync(s => s.BackboneName == b.Name && readable.Contains(s.ProjectId), ct);
        if (b is null || (!access.CanRead(b.ProjectId) && !sharedWithReader)) return ProjectChange.Refused("name", "no such backbone you can read", 404);
        if (!access.CanAdminister(b.ProjectId))
            return ProjectChange.Refused("name", sharedWithReader && !access.CanRead(b.ProjectId)
                ? "it is shared with your project read-only; only its own project's admins share it" : "sharing a backbone needs its project's admin role", 403);
        var target = ProjectNames.IsValid(withProject?.Trim()) ? await db.Projects.AsNoTracking().SingleOrDefaultAsync(p => p.Name == withProject!.Trim(), ct) : null;
        if (target is null) return ProjectChange.Refused("project", "no such project", 404);
        if (target.Id == b.ProjectId) return ProjectChange.Refused("project", "the backbone already belongs to this project");
        if (await db.BackboneShares.AnyAsync(s => s.BackboneName == backbone && s.ProjectId == target.Id, ct)) return ProjectChange.Done;
        var now = clock.GetUtcNow();
        db.BackboneShares.Add(new BackboneShare { BackboneName = backbone, ProjectId = target.Id, SharedBy = ActorName(user), SharedAt = now });
        Audit(b.ProjectId, "backbone.shared", backbone, $"read-only with {target.Name}", user, now);
        Audit(target.Id, "backbone.received", backbone, "read-only", user, now);
        await db.SaveChangesAsync(ct);
        return ProjectChange.Done;
    }

    /// <summary>The project's audit, newest first (its admins only).</summary>
    public async Task<IReadOnlyList<ProjectAuditView>?> AuditAsync(ClaimsPrincipal user, Guid projectId, int limit, CancellationToken ct)
    {
        Fresh();
        if (!ProjectAccess.Of(user).CanAdminister(projectId)) return null;
        return await db.ProjectAudit.AsNoTracking().Where(a => a.ProjectId == projectId).OrderByDescending(a => a.At).ThenByDescending(a => a.Id)
            .Take(Math.Clamp(limit, 1, 1000)).Select(a => new ProjectAuditView(a.Action, a.Subject, a.Detail, a.Actor, a.At)).ToListAsync(ct);
    }

    /// <summary>Records a change to the default project's membership made through the users page (a platform role change).</summary>
    public static void AuditDefaultMembership(PlatformDbContext db, string action, string? email, string? detail, string actor, DateTimeOffset now) =>
        db.ProjectAudit.Add(new ProjectAuditEntry { ProjectId = Project.DefaultId, Action = action, Subject = email, Detail = detail, Actor = actor, At = now });

    private async Task<bool> IsLastAdminAsync(Guid projectId, string userId, CancellationToken ct) =>
        !await db.ProjectMembers.AnyAsync(m => m.ProjectId == projectId && m.UserId != userId && m.Role == Roles.Admin, ct);

    /// <summary>
    /// Forgets what an earlier call tracked: the dashboard holds one instance (and one context) per circuit, so each change
    /// reads the rows afresh instead of acting on copies another session may have changed since.
    /// </summary>
    private void Fresh() => db.ChangeTracker.Clear();

    private void Audit(Guid projectId, string action, string? subject, string? detail, ClaimsPrincipal user, DateTimeOffset now) =>
        db.ProjectAudit.Add(new ProjectAuditEntry { ProjectId = projectId, Action = action, Subject = subject, Detail = detail, Actor = ActorName(user), At = now });

    private static string ActorName(ClaimsPrincipal user) => Actor.Of(user).Name;
}
