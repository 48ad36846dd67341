namespace AdapterLab.Web.Auth;

/// <summary>
/// Single sign-on with an OpenID Connect provider (configuration section <c>Sso</c>, or <c>ADAPTERLAB_SSO_*</c> in the
/// environment): the issuer, the client, the scopes asked for, and how the provider's claims map to this platform —
/// <see cref="ProjectsClaim"/> carries <c>project:role</c> values (the user's roles per project), <see cref="AdminClaim"/>
/// with <see cref="AdminValue"/> makes a platform admin. Off unless <see cref="Authority"/> and <see cref="ClientId"/> are
/// set; local accounts keep working beside it.
/// </summary>
public sealed record SsoOptions
{
    public const string Section = "Sso";
    public const string Scheme = "oidc";

    /// <summary>The provider's issuer URL (its discovery document is read from <c>/.well-known/openid-configuration</c>).</summary>
    public string? Authority { get; init; }
    public string? ClientId { get; init; }
    public string? ClientSecret { get; init; }
    /// <summary>Scopes asked for, space-separated (default <c>openid profile email</c>).</summary>
    public string Scopes { get; init; } = "openid profile email";
    /// <summary>What the sign-in button says: "Sign in with …".</summary>
    public string DisplayName { get; init; } = "single sign-on";
    /// <summary>The claim whose values are <c>project:role</c> (e.g. <c>vision:researcher</c>); when present it is the whole truth about the user's projects.</summary>
    public string ProjectsClaim { get; init; } = "adapterlab_projects";
    /// <summary>The claim (e.g. <c>groups</c>) and value that make a platform admin; no value set: SSO never makes admins.</summary>
    public string AdminClaim { get; init; } = "groups";
    public string? AdminValue { get; init; }
    /// <summary>HTTPS for the discovery document (off only for a provider on this machine, e.g. in tests).</summary>
    public bool RequireHttpsMetadata { get; init; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority) && !string.IsNullOrWhiteSpace(ClientId);

    public static SsoOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<SsoOptions>() ?? new SsoOptions();
        string? Env(string name) => configuration[$"ADAPTERLAB_SSO_{name}"] is { Length: > 0 } v ? v : null;
        return options with
        {
            Authority = Env("AUTHORITY") ?? options.Authority,
            ClientId = Env("CLIENT_ID") ?? options.ClientId,
            ClientSecret = Env("CLIENT_SECRET") ?? options.ClientSecret,
            AdminValue = Env("ADMIN_VALUE") ?? options.AdminValue,
        };
    }
}
