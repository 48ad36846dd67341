using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Datasets.Folders;

namespace AdapterLab.Web.Weights;

/// <summary>
/// Submit-time check of a folder dataset's <c>data.path</c> against <c>Platform:DataRoot</c>, beyond the static
/// validator's: the path must resolve (symbolic links followed) to an existing folder inside the data root. The agent
/// checks again when it reads the data (its own <c>Agent:DataRoot</c>), with the same <see cref="PathSafety"/> rule.
/// </summary>
public static class FolderDatasetCheck
{
    /// <summary>Errors keyed <c>data.path</c>, or null when the spec has no folder dataset or its path is fine.</summary>
    public static Dictionary<string, string[]>? Check(ExperimentSpec spec, IConfiguration configuration)
    {
        if (spec.Data.Dataset != Datasets.Folder || spec.Data.Path is null) return null;
        var root = configuration["Platform:DataRoot"];
        if (string.IsNullOrWhiteSpace(root))
            return new() { ["data.path"] = ["folder datasets are disabled: Platform:DataRoot is not configured"] };
        try
        {
            var real = PathSafety.Resolve(Path.GetFullPath(root), spec.Data.Path);
            if (!Directory.Exists(real)) return new() { ["data.path"] = [$"'{spec.Data.Path}' is not a folder under the data root"] };
            return null;
        }
        catch (PathEscapeException ex)
        {
            return new() { ["data.path"] = [ex.Message] };
        }
    }
}
