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
}
