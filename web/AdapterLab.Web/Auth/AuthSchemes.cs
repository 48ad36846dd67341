namespace AdapterLab.Web.Auth;

/// <summary>Authentication scheme names.</summary>
public static class AuthSchemes
{
    /// <summary>Header <c>X-Api-Key</c>, checked against hashed <c>api_keys</c>.</summary>
    public const string ApiKey = "ApiKey";

    /// <summary>Header <c>Authorization: Bearer &lt;token&gt;</c>, checked against hashed <c>agent_tokens</c>.</summary>
    public const string AgentToken = "AgentToken";

    /// <summary>Picks API key or the Identity cookie per request.</summary>
    public const string Platform = "Platform";

    public const string ApiKeyHeader = "X-Api-Key";

    /// <summary>Policy: a person signed in to the dashboard (Identity cookie), not an API key — for managing one's own account.</summary>
    public const string SignedInUserPolicy = "signed-in-user";
}
