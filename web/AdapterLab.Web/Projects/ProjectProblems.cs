using Microsoft.AspNetCore.Http.HttpResults;

namespace AdapterLab.Web.Projects;

/// <summary>How the API answers a refused project choice: ProblemDetails naming the field <c>project</c>, with the selection's status.</summary>
public static class ProjectProblems
{
    public static ProblemHttpResult Refused(ProjectSelection refused) =>
        TypedResults.Problem(statusCode: refused.Status, title: refused.Status switch { 403 => "Forbidden", 404 => "Project not found", _ => "Invalid project" },
            detail: $"project: {refused.Error}", extensions: new Dictionary<string, object?> { ["field"] = "project" });

    /// <summary>A user-given name as messages show it: at most 40 characters, control characters as '?'.</summary>
    public static string Shown(string name)
    {
        var shown = new string(name.Take(40).Select(c => char.IsControl(c) || char.IsSurrogate(c) ? '?' : c).ToArray());
        return name.Length <= 40 ? shown : shown + "…";
    }
}
