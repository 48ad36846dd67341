namespace AdapterLab.Training.Datasets.Folders;

/// <summary>
/// Resolves user-given dataset paths inside a data root and refuses every escape: absolute paths, <c>..</c> segments,
/// and symbolic links (in any component, or the final target) that lead outside the root. Both sides are compared as
/// real paths (every link resolved), so a root that is itself reached through a link still works.
/// Plain BCL only: the web compiles this same file (linked) for its submit-time check; the agent checks again on read.
/// </summary>
public static class PathSafety
{
    private const int MaxLinkHops = 40;

    /// <summary>
    /// The real path of <paramref name="relative"/> under <paramref name="root"/>; throws <see cref="PathEscapeException"/>
    /// when it is not a relative path without <c>..</c>, or when its real path is not inside the root's real path.
    /// </summary>
    /// <param name="mustExist">Also require the target to exist (as a file or folder).</param>
    public static string Resolve(string root, string relative, bool mustExist = true)
    {
        if (string.IsNullOrWhiteSpace(root)) throw new PathEscapeException("no data root is configured; folder datasets are disabled");
        if (string.IsNullOrWhiteSpace(relative)) throw new PathEscapeException("the path is empty");
        if (Path.IsPathRooted(relative) || relative.StartsWith('~'))
            throw new PathEscapeException($"'{relative}' is absolute; give a path relative to the data root");
        if (relative.Split('/', '\\').Any(segment => segment == ".."))
            throw new PathEscapeException($"'{relative}' contains '..'; paths must stay inside the data root");
        if (relative.Contains('\0')) throw new PathEscapeException("the path contains a NUL character");

        var realRoot = RealPath(root);
        var realTarget = RealPath(Path.Combine(realRoot, relative));
        if (!IsInside(realRoot, realTarget))
            throw new PathEscapeException($"'{relative}' resolves to '{realTarget}', outside the data root (a symbolic link escapes it)");
        if (mustExist && !Directory.Exists(realTarget) && !File.Exists(realTarget))
            throw new PathEscapeException($"'{relative}' does not exist under the data root");
        return realTarget;
    }

    /// <summary>True when <paramref name="realPath"/> (already resolved) is <paramref name="realRoot"/> or below it.</summary>
    public static bool IsInside(string realRoot, string realPath)
    {
        var root = Path.TrimEndingDirectorySeparator(realRoot);
        var path = Path.TrimEndingDirectorySeparator(realPath);
        if (string.Equals(root, path, StringComparison.Ordinal)) return true;
        return path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    /// <summary>
    /// The absolute path with every symbolic link resolved, component by component (like POSIX <c>realpath</c>, but a
    /// missing tail is kept as written so a not-yet-existing path can still be checked).
    /// </summary>
    public static string RealPath(string path)
    {
        int hops = 0;
        return Resolve(Path.GetFullPath(path), ref hops);
    }

    private static string Resolve(string fullPath, ref int hops)
    {
        var rootPart = Path.GetPathRoot(fullPath) ?? "/";
        var parts = fullPath[rootPart.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = rootPart;
        for (int i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            FileSystemInfo info = new FileInfo(next);
            if (!info.Exists && Directory.Exists(next)) info = new DirectoryInfo(next);
            if (info.LinkTarget is { } target)
            {
                if (++hops > MaxLinkHops) throw new PathEscapeException($"too many symbolic links resolving '{fullPath}'");
                // A link's target is relative to the folder holding the link; it may itself contain links or '..'.
                var absolute = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(current, target));
                current = Resolve(absolute, ref hops);
            }
            else current = next;
        }
        return current;
    }
}

/// <summary>A dataset path is unusable: outside the data root, absolute, with <c>..</c>, or missing.</summary>
public sealed class PathEscapeException(string message) : ArgumentException(message);
