using Microsoft.AspNetCore.Authorization;

namespace AdapterLab.Web.Auth;

/// <summary>The caller must hold <see cref="Scope"/> (or <c>admin</c>), directly as an API key scope or through a dashboard role.</summary>
public sealed record ScopeRequirement(string Scope) : IAuthorizationRequirement;
