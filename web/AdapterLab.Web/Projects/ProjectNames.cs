using System.Text.RegularExpressions;

namespace AdapterLab.Web.Projects;

/// <summary>
/// What a project name may be (a lower-case slug of 3–40 characters), and the check every user-given name or email passes
/// before it reaches a query — PostgreSQL refuses text with NUL bytes, so such input must be answered before the database
/// is asked.
/// </summary>
public static partial class ProjectNames
{
    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")]
    private static partial Regex Slug();

    public static bool IsValid([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? name) => name is not null && Slug().IsMatch(name) && name is not (ProjectDirectory.AllProjects or "all");

    /// <summary>Text a lookup may use: not empty, at most <paramref name="max"/> characters, no control characters.</summary>
    public static bool IsLookup([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? text, int max = 256) =>
        !string.IsNullOrEmpty(text) && text.Length <= max && !text.Any(char.IsControl) && IsWellFormed(text);

    /// <summary>No lone surrogate (text that is not valid Unicode cannot be stored as UTF-8).</summary>
    public static bool IsWellFormed(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(text[i])) return false;
        }
        return true;
    }
}
