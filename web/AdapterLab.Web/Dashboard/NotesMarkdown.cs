using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace AdapterLab.Web.Dashboard;

/// <summary>
/// Renders a run's notes (markdown: headings, lists, tables, task lists, code, links) to HTML that is safe to show to
/// every reader: raw HTML in the notes is shown as text, never run, and a link or image whose address is not http(s),
/// mailto or relative loses its address (no <c>javascript:</c> or <c>data:</c> links).
/// </summary>
public static class NotesMarkdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables().UseTaskLists().UseAutoLinks().UseEmphasisExtras().UseSoftlineBreakAsHardlineBreak()
        .DisableHtml().Build();

    public static string ToHtml(string? markdown)
    {
        if (string.IsNullOrWhiteSpace(markdown)) return "";
        var document = Markdown.Parse(markdown, Pipeline);
        foreach (var link in document.Descendants<LinkInline>())
            if (!IsSafe(link.Url)) link.Url = "";
        foreach (var link in document.Descendants<AutolinkInline>())
            if (!link.IsEmail && !IsSafe(link.Url)) link.Url = "";
        return document.ToHtml(Pipeline);
    }

    /// <summary>http(s) and mailto addresses and relative ones (no scheme) are kept.</summary>
    public static bool IsSafe(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return true;
        // Browsers ignore control characters and spaces inside a scheme ("java\tscript:"): judge the address without them.
        var compact = new string(url.Where(c => !char.IsControl(c) && !char.IsWhiteSpace(c)).ToArray());
        int colon = compact.IndexOf(':');
        int boundary = compact.IndexOfAny(['/', '?', '#']);
        if (colon < 0 || (boundary >= 0 && boundary < colon)) return true; // relative (or protocol-relative: http(s))
        var scheme = compact[..colon].ToLowerInvariant();
        return scheme is "http" or "https" or "mailto";
    }
}
