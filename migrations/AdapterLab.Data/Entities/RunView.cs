namespace AdapterLab.Data.Entities;

/// <summary>
/// A saved view of the runs table: its query string (filter, columns, sort, grouping), named by its owner. The view named
/// <see cref="DefaultName"/> is the owner's own default — the columns they chose, shown when they open the list bare.
/// </summary>
public sealed class RunView
{
    public const string DefaultName = "(default)";

    /// <summary>The owner's id (<c>user:&lt;id&gt;</c> or <c>key:&lt;id&gt;</c>).</summary>
    public string OwnerId { get; set; } = "";
    public string Name { get; set; } = "";
    /// <summary>The view's URL query string, without the leading '?' (at most 4,000 characters).</summary>
    public string Query { get; set; } = "";
    public DateTimeOffset UpdatedAt { get; set; }
}
