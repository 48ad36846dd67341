using System.Security.Claims;

namespace AdapterLab.Web.Auth;

/// <summary>
/// Who acts: <see cref="Name"/> is what audit columns and pages show (a user's email, <c>apikey:&lt;name&gt;</c>,
/// <c>schedule</c>); <see cref="OwnerId"/> is what ownership checks compare — an id, never a name: <c>user:&lt;user id&gt;</c>
/// for a person and for any key they own, <c>key:&lt;API key id&gt;</c> for a key no user owns. Names repeat (two keys
/// named alike, a new key reusing a revoked key's name); ids do not.
/// </summary>
public sealed record Actor(string Name, string? OwnerId)
{
    /// <summary>Claim carrying the owner id of an API-key principal (set by the API key handler).</summary>
    public const string OwnerClaim = "owner";

    public static Actor Of(ClaimsPrincipal user) => new(user.Identity?.Name ?? "anonymous", OwnerIdOf(user));

    /// <summary>The principal's owner id: an API key's claim, else a signed-in user's id; null for anyone else.</summary>
    public static string? OwnerIdOf(ClaimsPrincipal user) =>
        user.FindFirstValue(OwnerClaim)
        ?? (user.Identity?.IsAuthenticated == true && user.FindFirstValue(ClaimTypes.NameIdentifier) is { } id ? UserOwner(id) : null);

    public static string UserOwner(string userId) => "user:" + userId;

    public static string KeyOwner(Guid keyId) => "key:" + keyId;
}
