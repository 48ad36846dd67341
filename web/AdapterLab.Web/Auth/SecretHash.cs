using System.Security.Cryptography;
using System.Text;

namespace AdapterLab.Web.Auth;

/// <summary>How API keys and agent tokens are stored: lowercase hex sha256 of the plaintext, and a visible prefix.</summary>
public static class SecretHash
{
    public static string Of(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>The first 8 characters, shown in lists so a key can be recognised without revealing it.</summary>
    public static string Prefix(string secret) => secret.Length <= 8 ? secret : secret[..8];

    /// <summary>A new random secret (256 bits, URL-safe).</summary>
    public static string NewSecret() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
