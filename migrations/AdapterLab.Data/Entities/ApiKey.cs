namespace AdapterLab.Data.Entities;

/// <summary>An API key: hashed secret, a visible prefix, scopes (<c>read</c>, <c>experiments:write</c>, <c>suites:trigger</c>, <c>admin</c>).</summary>
public sealed class ApiKey
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";

    /// <summary>The one project the key acts in (null: a platform key — the bootstrap admin key, the inference key — that no project scopes).</summary>
    public Guid? ProjectId { get; set; }
    public string Prefix { get; set; } = "";
    public string Hash { get; set; } = "";
    public string[] Scopes { get; set; } = [];
    public string? OwnerUserId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
}
