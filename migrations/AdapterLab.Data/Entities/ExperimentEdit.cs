namespace AdapterLab.Data.Entities;

/// <summary>
/// Audit of the lab notebook: one change of an experiment's name, tags or notes after submission, with its actor and the
/// values before and after (tags as a comma-separated list), so a note can never be rewritten without a trace.
/// </summary>
public sealed class ExperimentEdit
{
    public const string NameField = "name";
    public const string TagsField = "tags";
    public const string NotesField = "notes";

    public long Id { get; set; }
    public Guid ExperimentId { get; set; }
    /// <summary><see cref="NameField"/>, <see cref="TagsField"/> or <see cref="NotesField"/>.</summary>
    public string Field { get; set; } = "";
    public string? OldValue { get; set; }
    public string? NewValue { get; set; }
    /// <summary>Who changed it, as shown (a user's email or <c>apikey:&lt;name&gt;</c>).</summary>
    public string Actor { get; set; } = "";
    public DateTimeOffset At { get; set; }
}
