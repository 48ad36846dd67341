namespace AdapterLab.Data.Entities;

/// <summary>
/// A named model of the registry: a line of versions, each an adapter bound to the backbone it was trained on. Who
/// created it owns it (registers further versions, moves stages) beside admins.
/// </summary>
public sealed class RegisteredModel
{
    public string Name { get; set; } = "";

    /// <summary>The project it belongs to (that of the experiment first registered, or the one it was imported into).</summary>
    public Guid ProjectId { get; set; } = Project.DefaultId;
    public string? Description { get; set; }
    /// <summary>Who created it, as shown.</summary>
    public string CreatedBy { get; set; } = "";
    /// <summary>Owner id of its creator (<c>user:&lt;id&gt;</c> or <c>key:&lt;id&gt;</c>), compared by ownership checks.</summary>
    public string? OwnerId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public List<ModelVersion> Versions { get; set; } = [];
}
