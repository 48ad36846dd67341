using Microsoft.AspNetCore.Identity;

namespace AdapterLab.Data.Entities;

/// <summary>A dashboard user (ASP.NET Core Identity); roles: viewer, researcher, admin.</summary>
public sealed class PlatformUser : IdentityUser
{
    public string? DisplayName { get; set; }
}
