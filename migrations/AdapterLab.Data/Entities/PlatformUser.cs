using Microsoft.AspNetCore.Identity;

namespace AdapterLab.Data.Entities;

/// <summary>A dashboard user (ASP.NET Core Identity); roles: viewer, researcher, admin.</summary>
public sealed class PlatformUser : IdentityUser
{
    public string? DisplayName { get; set; }

    /// <summary>The password was set by someone else (a generated first admin password): the user must choose their own before anything else.</summary>
    public bool MustChangePassword { get; set; }

    /// <summary>Set by an admin: the user can neither sign in nor use their API keys.</summary>
    public DateTimeOffset? DisabledAt { get; set; }

    /// <summary>The project the dashboard shows them (the switcher's choice); null: the default project, or their first.</summary>
    public Guid? CurrentProjectId { get; set; }
}
