namespace AdapterLab.Data.Entities;

/// <summary>
/// A project: the unit of tenancy. Experiments, suites, sweeps, backbones, leaderboard entries and API keys belong to one;
/// its members hold a role in it (<see cref="ProjectMember"/>); its quotas cap what it takes from each pool.
/// </summary>
public sealed class Project
{
    /// <summary>The project every row created before projects existed belongs to, and single-team use keeps using.</summary>
    public static readonly Guid DefaultId = new("00000000-0000-0000-0000-000000000001");
    public const string DefaultName = "default";

    public Guid Id { get; set; }
    /// <summary>Lower-case slug, unique (what URLs, the switcher and <c>?project=</c> use).</summary>
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    /// <summary>The highest priority its experiments are queued at (null: no ceiling); higher requests are lowered to it.</summary>
    public int? PriorityCeiling { get; set; }
    public string? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A user's role in a project: <c>viewer</c>, <c>researcher</c> or <c>admin</c>.</summary>
public sealed class ProjectMember
{
    public Guid ProjectId { get; set; }
    public string UserId { get; set; } = "";
    public string Role { get; set; } = "";
    public DateTimeOffset AddedAt { get; set; }
}

/// <summary>At most <see cref="MaxSlots"/> of a project's attempts hold slots of <see cref="Pool"/> at once (the dispatcher enforces it).</summary>
public sealed class ProjectQuota
{
    public Guid ProjectId { get; set; }
    public string Pool { get; set; } = "";
    public int MaxSlots { get; set; }
}

/// <summary>One change to a project's membership, roles, quotas or shares, with its actor (append-only).</summary>
public sealed class ProjectAuditEntry
{
    public long Id { get; set; }
    public Guid ProjectId { get; set; }
    /// <summary>e.g. <c>member.added</c>, <c>member.role</c>, <c>member.removed</c>, <c>quota.set</c>, <c>ceiling.set</c>, <c>backbone.shared</c>.</summary>
    public string Action { get; set; } = "";
    /// <summary>Whom or what it changed (a user's email, a pool, a backbone name).</summary>
    public string? Subject { get; set; }
    /// <summary>Before → after, in words (e.g. <c>viewer → researcher</c>).</summary>
    public string? Detail { get; set; }
    public string Actor { get; set; } = "";
    public DateTimeOffset At { get; set; }
}

/// <summary>A backbone of one project shared read-only with another: the other project may train on it, not change or delete it.</summary>
public sealed class BackboneShare
{
    public string BackboneName { get; set; } = "";
    public Guid ProjectId { get; set; }
    public string SharedBy { get; set; } = "";
    public DateTimeOffset SharedAt { get; set; }
}
