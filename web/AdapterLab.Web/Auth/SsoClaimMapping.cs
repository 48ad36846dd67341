using System.Security.Claims;

namespace AdapterLab.Web.Auth;

/// <summary>What a provider's claims say about a user: who they are, whether they are a platform admin, their role per project.</summary>
/// <param name="Projects">Project name → role; null when the provider sent no projects claim (then memberships are left as they are).</param>
public sealed record SsoIdentity(string Subject, string Email, string? Name, bool IsAdmin, IReadOnlyDictionary<string, string>? Projects, IReadOnlyList<string> Ignored);

/// <summary>
/// Maps an OpenID Connect principal's claims (<c>sub</c>, <c>email</c>, <c>name</c>, the projects claim, the admin claim)
/// to an <see cref="SsoIdentity"/>. Pure: malformed project values (no colon, an unknown role) are ignored and reported;
/// a project named twice keeps its highest role.
/// </summary>
public static class SsoClaimMapping
{
    public static SsoIdentity? Map(IEnumerable<Claim> claims, SsoOptions options, out string? error)
    {
        var list = claims.ToList();
        string? Value(params string[] types) => types.Select(t => list.FirstOrDefault(c => c.Type == t)?.Value).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
        var subject = Value("sub", ClaimTypes.NameIdentifier);
        var email = Value("email", ClaimTypes.Email);
        error = subject is null ? "the provider sent no subject (sub)" : email is null ? "the provider sent no email; ask for the 'email' scope" : null;
        if (error is not null) return null;

        bool admin = options.AdminValue is { Length: > 0 } wanted && list.Any(c => c.Type == options.AdminClaim && c.Value == wanted);
        Dictionary<string, string>? projects = null;
        var ignored = new List<string>();
        var values = list.Where(c => c.Type == options.ProjectsClaim).SelectMany(c => c.Value.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries)).ToList();
        if (list.Any(c => c.Type == options.ProjectsClaim))
        {
            projects = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var v in values)
            {
                int colon = v.LastIndexOf(':');
                var (project, role) = colon <= 0 ? ("", "") : (v[..colon].Trim(), v[(colon + 1)..].Trim());
                if (!Projects.ProjectNames.IsValid(project) || Projects.ProjectAccess.Rank(role) == 0) { ignored.Add(v); continue; }
                if (!projects.TryGetValue(project, out var held) || Projects.ProjectAccess.Rank(role) > Projects.ProjectAccess.Rank(held)) projects[project] = role;
            }
        }
        return new SsoIdentity(subject!, email!.Trim(), Value("name", ClaimTypes.Name), admin, projects, ignored);
    }
}
