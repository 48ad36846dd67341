namespace AdapterLab.Web.Agents;

/// <summary>A stored blob.</summary>
/// <param name="Hash">sha256 of its bytes (lowercase hex).</param>
/// <param name="Size">Size in bytes.</param>
public sealed record BlobView(string Hash, long Size);
