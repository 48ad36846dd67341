namespace AdapterLab.Web.Projects;

/// <summary>
/// Which projects a read covers: one project, the several a principal may read (the cross-project view), or — for a
/// platform admin's cross-project view only — all. Every list query takes one (a required filter field), so no query
/// forgets to scope.
/// </summary>
public sealed record ProjectScope
{
    private ProjectScope(IReadOnlyCollection<Guid>? ids) => Ids = ids;

    /// <summary>The projects covered; null: every project.</summary>
    public IReadOnlyCollection<Guid>? Ids { get; }

    public static readonly ProjectScope All = new((IReadOnlyCollection<Guid>?)null);

    public static ProjectScope Of(params IEnumerable<Guid> ids) => new(ids.Distinct().ToArray());

    /// <summary>Every project <paramref name="access"/> may read (all of them for a platform admin).</summary>
    public static ProjectScope ReadableBy(ProjectAccess access) => access.Readable is { } ids ? Of(ids) : All;

    public bool Covers(Guid project) => Ids is null || Ids.Contains(project);
}
