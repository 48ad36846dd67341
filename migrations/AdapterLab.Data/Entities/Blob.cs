namespace AdapterLab.Data.Entities;

/// <summary>Content-addressed blob (sha256 of its bytes), stored as ordered chunks.</summary>
public sealed class Blob
{
    public string Hash { get; set; } = "";
    public long SizeBytes { get; set; }
    public int ChunkCount { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>One chunk of a blob's bytes.</summary>
public sealed class BlobChunk
{
    public string Hash { get; set; } = "";
    public int Index { get; set; }
    public byte[] Data { get; set; } = [];
    /// <summary>sha256 of this chunk's bytes, stored at upload, so a download can check each chunk before sending it
    /// (null for chunks stored before it existed: those blobs are verified whole before a byte is sent).</summary>
    public byte[]? Sha256 { get; set; }
}

/// <summary>
/// A blob an unfinished experiment may still reference: taken when an agent holding the experiment uploads it, and when
/// the orchestrator dispatches an attempt that reads it; it holds while the experiment is not terminal (the garbage
/// collector drops pins of finished experiments). A pinned blob is never collected, however long its reference takes
/// to arrive through the broker.
/// </summary>
public sealed class BlobPin
{
    public string Hash { get; set; } = "";
    public Guid ExperimentId { get; set; }
    public DateTimeOffset PinnedAt { get; set; }
}
