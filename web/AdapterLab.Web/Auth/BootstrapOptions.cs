namespace AdapterLab.Web.Auth;

/// <summary>
/// First credentials of a fresh installation, read from configuration keys named like the environment variables
/// (<c>ADAPTERLAB_BOOTSTRAP_API_KEY</c>, …) so tests can supply them as in-memory configuration.
/// </summary>
public sealed record BootstrapOptions
{
    public string? ApiKey { get; init; }
    public string? AgentToken { get; init; }
    /// <summary>The inference host's key: registered with scope <c>models:serve</c> only (<c>ADAPTERLAB_BOOTSTRAP_INFERENCE_KEY</c>).</summary>
    public string? InferenceKey { get; init; }
    /// <summary>The agent the bootstrap agent token belongs to (its name; a token opens only what that agent's leases name).</summary>
    public string AgentTokenOwner { get; init; } = DefaultAgentTokenOwner;
    public const string DefaultAgentTokenOwner = "bootstrap-agent";
    public string? AdminEmail { get; init; }
    public string? AdminPassword { get; init; }
    /// <summary>
    /// The admin password was generated for the operator (<c>./platform up</c>'s <c>.local/secrets/admin-password</c>, a
    /// compose secret): the admin is created only on a first start with no admin at all, and must choose their own
    /// password at first sign-in.
    /// </summary>
    public bool AdminMustChangePassword { get; init; }
    /// <summary>An enrolment secret agents of <see cref="EnrolmentPool"/> enrol with (e.g. every replica of a compose service or a Deployment).</summary>
    public string? EnrolmentSecret { get; init; }
    public string EnrolmentPool { get; init; } = "cpu";

    public static BootstrapOptions From(IConfiguration configuration) => new()
    {
        ApiKey = NullIfEmpty(configuration["ADAPTERLAB_BOOTSTRAP_API_KEY"]),
        AgentToken = NullIfEmpty(configuration["ADAPTERLAB_BOOTSTRAP_AGENT_TOKEN"]),
        InferenceKey = NullIfEmpty(configuration["ADAPTERLAB_BOOTSTRAP_INFERENCE_KEY"]),
        AgentTokenOwner = NullIfEmpty(configuration["ADAPTERLAB_BOOTSTRAP_AGENT_ID"]) ?? DefaultAgentTokenOwner,
        AdminEmail = NullIfEmpty(configuration["ADAPTERLAB_ADMIN_EMAIL"]),
        AdminPassword = NullIfEmpty(configuration["ADAPTERLAB_ADMIN_PASSWORD"]) ?? ReadFile(configuration["ADAPTERLAB_ADMIN_PASSWORD_FILE"]),
        AdminMustChangePassword = string.Equals(configuration["ADAPTERLAB_ADMIN_MUST_CHANGE_PASSWORD"], "true", StringComparison.OrdinalIgnoreCase),
        EnrolmentSecret = NullIfEmpty(configuration["ADAPTERLAB_BOOTSTRAP_ENROLMENT_SECRET"]),
        EnrolmentPool = NullIfEmpty(configuration["ADAPTERLAB_BOOTSTRAP_ENROLMENT_POOL"]) ?? "cpu",
    };

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    /// <summary>A secret from a file (<c>*_FILE</c>, e.g. a compose or Kubernetes secret mount); null when unset or unreadable.</summary>
    private static string? ReadFile(string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) return null;
        try { return NullIfEmpty(File.ReadAllText(path)); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
