using System.Text.RegularExpressions;

namespace AdapterLab.Web.Hosting;

/// <summary>The one check of a blob address in a URL: 64 lowercase hex digits (a sha256), before any lookup.</summary>
public static partial class BlobHash
{
    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Pattern();

    public static bool IsSha256(string value) => Pattern().IsMatch(value);
}
