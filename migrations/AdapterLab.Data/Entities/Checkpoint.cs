namespace AdapterLab.Data.Entities;

/// <summary>A checkpoint an attempt produced, pointing into the content-addressed blob store.</summary>
public sealed class Checkpoint
{
    public long Id { get; set; }
    public Guid ExperimentId { get; set; }
    public int AttemptNumber { get; set; }
    public long Step { get; set; }
    /// <summary><c>resume</c>, <c>final</c>, <c>backbone</c>, <c>gallery</c> or <c>predictions</c>.</summary>
    public string Kind { get; set; } = "";
    public string BlobHash { get; set; } = "";
    public long SizeBytes { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
