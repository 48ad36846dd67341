using System.Security.Cryptography;
using AdapterLab.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace AdapterLab.Data.Blobs;

/// <summary>
/// Content-addressed, chunked blob store in PostgreSQL. Writes stream chunk by chunk (memory stays at one chunk) and
/// commit only when the bytes hash to the claimed sha256; reads verify the hash and refuse corrupted data.
/// </summary>
public sealed class BlobStore(IDbContextFactory<PlatformDbContext> dbFactory)
{
    public const int ChunkSize = 4 * 1024 * 1024;

    /// <summary>Stores <paramref name="content"/>; returns its sha256. An existing blob with the same hash is kept (dedup).</summary>
    /// <param name="expectedHash">If given, the upload is rejected unless its bytes hash to this value.</param>
    public async Task<(string Hash, long Size, bool Created)> PutAsync(Stream content, string? expectedHash, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (expectedHash is not null && await db.Blobs.AnyAsync(b => b.Hash == expectedHash, ct))
        {
            // Already stored: drain the request without keeping it, and refresh the blob's age (an upload of the same
            // bytes is a fresh use: the garbage collector's grace period counts from it).
            await content.CopyToAsync(Stream.Null, ct);
            await db.Blobs.Where(b => b.Hash == expectedHash).ExecuteUpdateAsync(s => s.SetProperty(b => b.CreatedAt, DateTimeOffset.UtcNow), ct);
            var existing = await db.Blobs.SingleAsync(b => b.Hash == expectedHash, ct);
            return (existing.Hash, existing.SizeBytes, false);
        }

        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        await conn.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var staging = "staging-" + Guid.NewGuid().ToString("N"); // 40 characters: fits the 64-character hash column
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[ChunkSize];
        long size = 0;
        int index = 0;
        while (true)
        {
            int filled = 0;
            while (filled < buffer.Length)
            {
                int n = await content.ReadAsync(buffer.AsMemory(filled), ct);
                if (n == 0) break;
                filled += n;
            }
            if (filled == 0 && index > 0) break;
            sha.AppendData(buffer, 0, filled);
            await using (var cmd = new NpgsqlCommand("INSERT INTO blob_chunks (hash, index, data, sha256) VALUES (@h, @i, @d, @s)", conn, tx))
            {
                cmd.Parameters.AddWithValue("h", staging);
                cmd.Parameters.AddWithValue("i", index);
                cmd.Parameters.Add(new NpgsqlParameter("d", NpgsqlTypes.NpgsqlDbType.Bytea) { Value = new ReadOnlyMemory<byte>(buffer, 0, filled) });
                cmd.Parameters.Add(new NpgsqlParameter("s", NpgsqlTypes.NpgsqlDbType.Bytea) { Value = SHA256.HashData(buffer.AsSpan(0, filled)) });
                await cmd.ExecuteNonQueryAsync(ct);
            }
            size += filled;
            index++;
            if (filled < buffer.Length) break;
        }
        var hash = Convert.ToHexStringLower(sha.GetHashAndReset());
        if (expectedHash is not null && !string.Equals(hash, expectedHash, StringComparison.OrdinalIgnoreCase))
        {
            await tx.RollbackAsync(ct);
            throw new BlobIntegrityException($"uploaded bytes hash to {hash}, not the claimed {expectedHash}");
        }
        bool created;
        await using (var claim = new NpgsqlCommand(
            "INSERT INTO blobs (hash, size_bytes, chunk_count, created_at) VALUES (@h, @s, @c, now()) ON CONFLICT (hash) DO NOTHING", conn, tx))
        {
            claim.Parameters.AddWithValue("h", hash);
            claim.Parameters.AddWithValue("s", size);
            claim.Parameters.AddWithValue("c", index);
            created = await claim.ExecuteNonQueryAsync(ct) == 1;
        }
        var finish = created
            ? "UPDATE blob_chunks SET hash = @h WHERE hash = @staging"
            : "DELETE FROM blob_chunks WHERE hash = @staging";
        await using (var cmd = new NpgsqlCommand(finish, conn, tx))
        {
            cmd.Parameters.AddWithValue("h", hash);
            cmd.Parameters.AddWithValue("staging", staging);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return (hash, size, created);
    }

    public async Task<Blob?> FindAsync(string hash, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Blobs.AsNoTracking().SingleOrDefaultAsync(b => b.Hash == hash, ct);
    }

    /// <summary>Whether every chunk of the blob carries its own sha256 (then it can be streamed, checked chunk by chunk).</summary>
    public async Task<bool> ChunksHashedAsync(string hash, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return !await db.BlobChunks.AnyAsync(c => c.Hash == hash && c.Sha256 == null, ct);
    }

    /// <summary>
    /// The blob's chunks in order, each checked against its own stored sha256 before it is yielded (one chunk in memory);
    /// a mismatch, a missing chunk or a wrong total size throws <see cref="BlobIntegrityException"/> before the bad bytes
    /// are handed out. For blobs whose chunks all carry a hash (<see cref="ChunksHashedAsync"/>).
    /// </summary>
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadVerifiedChunksAsync(string hash, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var blob = await db.Blobs.AsNoTracking().SingleOrDefaultAsync(b => b.Hash == hash, ct)
                   ?? throw new FileNotFoundException($"blob {hash} does not exist");
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        await conn.OpenAsync(ct);
        long size = 0;
        for (int i = 0; i < blob.ChunkCount; i++)
        {
            byte[] data, expected;
            await using (var cmd = new NpgsqlCommand("SELECT data, sha256 FROM blob_chunks WHERE hash = @h AND index = @i", conn))
            {
                cmd.Parameters.AddWithValue("h", hash);
                cmd.Parameters.AddWithValue("i", i);
                await using var reader = await cmd.ExecuteReaderAsync(ct);
                if (!await reader.ReadAsync(ct)) throw new BlobIntegrityException($"blob {hash} is missing chunk {i}");
                data = (byte[])reader[0];
                expected = reader.IsDBNull(1) ? throw new InvalidOperationException($"chunk {i} of blob {hash} has no sha256") : (byte[])reader[1];
            }
            if (!SHA256.HashData(data).AsSpan().SequenceEqual(expected))
                throw new BlobIntegrityException($"blob {hash} is corrupted in storage (chunk {i} does not match its hash)");
            size += data.Length;
            if (i == blob.ChunkCount - 1 && size != blob.SizeBytes)
                throw new BlobIntegrityException($"blob {hash} is corrupted in storage ({size} bytes stored, {blob.SizeBytes} recorded)");
            yield return data;
        }
    }

    /// <summary>Streams a blob's bytes to <paramref name="destination"/> chunk by chunk, verifying size and sha256.
    /// Throws <see cref="BlobIntegrityException"/> when the stored bytes do not match (the caller must not use them).</summary>
    public async Task CopyToAsync(string hash, Stream destination, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await CopyToAsync(db, hash, destination, ct);
    }

    /// <summary>Streams a blob's chunks through <paramref name="db"/>'s connection (inside its transaction, if any), verifying size and sha256 at the end.</summary>
    public static async Task CopyToAsync(PlatformDbContext db, string hash, Stream destination, CancellationToken ct)
    {
        var blob = await db.Blobs.AsNoTracking().SingleOrDefaultAsync(b => b.Hash == hash, ct)
                   ?? throw new FileNotFoundException($"blob {hash} does not exist");
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        if (conn.State != System.Data.ConnectionState.Open) await conn.OpenAsync(ct);
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction() as NpgsqlTransaction;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        for (int i = 0; i < blob.ChunkCount; i++)
        {
            await using var cmd = new NpgsqlCommand("SELECT data FROM blob_chunks WHERE hash = @h AND index = @i", conn, transaction);
            cmd.Parameters.AddWithValue("h", hash);
            cmd.Parameters.AddWithValue("i", i);
            var data = await cmd.ExecuteScalarAsync(ct) as byte[]
                       ?? throw new BlobIntegrityException($"blob {hash} is missing chunk {i}");
            sha.AppendData(data);
            size += data.Length;
            await destination.WriteAsync(data, ct);
        }
        var actual = Convert.ToHexStringLower(sha.GetHashAndReset());
        if (size != blob.SizeBytes || actual != hash)
            throw new BlobIntegrityException($"blob {hash} is corrupted in storage (read {size} bytes hashing to {actual})");
    }

    /// <summary>
    /// Reads several small blobs whole in two queries (their sizes, then every chunk), each verified by size and sha256:
    /// what a comparison needs to load twenty predictions files without forty round trips. A blob that is missing, larger
    /// than <paramref name="maxBytesEach"/> or corrupted comes back as a problem instead of bytes.
    /// </summary>
    public static async Task<Dictionary<string, (byte[]? Bytes, string? Problem)>> ReadSmallAsync(
        PlatformDbContext db, IReadOnlyCollection<string> hashes, long maxBytesEach, CancellationToken ct)
    {
        var result = new Dictionary<string, (byte[]?, string?)>(StringComparer.Ordinal);
        if (hashes.Count == 0) return result;
        var wanted = hashes.Distinct(StringComparer.Ordinal).ToArray();
        var blobs = await db.Blobs.AsNoTracking().Where(b => wanted.Contains(b.Hash)).Select(b => new { b.Hash, b.SizeBytes, b.ChunkCount }).ToListAsync(ct);
        foreach (var hash in wanted.Except(blobs.Select(b => b.Hash)))
            result[hash] = (null, $"blob {hash} does not exist");
        foreach (var b in blobs.Where(b => b.SizeBytes > maxBytesEach))
            result[b.Hash] = (null, $"blob {b.Hash} is {b.SizeBytes:N0} bytes, more than {maxBytesEach:N0}");
        var small = blobs.Where(b => b.SizeBytes <= maxBytesEach).ToDictionary(b => b.Hash);
        if (small.Count == 0) return result;
        var buffers = small.Values.ToDictionary(b => b.Hash, b => new MemoryStream((int)b.SizeBytes));
        var chunks = small.Values.ToDictionary(b => b.Hash, _ => 0);
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        if (conn.State != System.Data.ConnectionState.Open) await conn.OpenAsync(ct);
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction() as NpgsqlTransaction;
        await using (var cmd = new NpgsqlCommand("SELECT hash, index, data FROM blob_chunks WHERE hash = ANY(@h) ORDER BY hash, index", conn, transaction))
        {
            cmd.Parameters.AddWithValue("h", small.Keys.ToArray());
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var hash = reader.GetString(0);
                int index = reader.GetInt32(1);
                if (index != chunks[hash]) continue; // a gap is caught below by the size and hash check
                chunks[hash]++;
                var data = (byte[])reader.GetValue(2);
                buffers[hash].Write(data);
            }
        }
        foreach (var (hash, buffer) in buffers)
        {
            var bytes = buffer.ToArray();
            var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
            result[hash] = bytes.LongLength == small[hash].SizeBytes && actual == hash && chunks[hash] == small[hash].ChunkCount
                ? (bytes, null)
                : (null, $"blob {hash} is corrupted in storage (read {bytes.LongLength} bytes in {chunks[hash]} chunks hashing to {actual})");
        }
        return result;
    }

    /// <summary>
    /// Removes a blob whose stored bytes proved corrupted, so that an upload of the true content under the same hash
    /// (deterministic training reproduces checkpoints exactly) stores it afresh instead of being deduplicated against
    /// the damaged copy. Idempotent.
    /// </summary>
    public async Task DiscardCorruptedAsync(string hash, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.BlobChunks.Where(c => c.Hash == hash).ExecuteDeleteAsync(ct);
        await db.Blobs.Where(b => b.Hash == hash).ExecuteDeleteAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Reads and verifies a whole blob into a temporary file, so a corrupted blob is never handed out half-read.</summary>
    public async Task<string> ReadToTempFileAsync(string hash, CancellationToken ct)
    {
        var path = Path.Combine(Path.GetTempPath(), $"adapterlab-blob-{hash}-{Guid.NewGuid():N}");
        try
        {
            // Readable by this service only (0600): a checkpoint is nobody else's business on a shared machine.
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            await using (var file = new FileStream(path, options)) await CopyToAsync(hash, file, ct);
            return path;
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }
}

/// <summary>Stored or uploaded bytes do not match their content hash.</summary>
public sealed class BlobIntegrityException(string message) : Exception(message);
