using System.Net;
using System.Security.Cryptography;
using AdapterLab.IntegrationTests.Infrastructure;
using AdapterLab.IntegrationTests.Web;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Checkpoints;

/// <summary>
/// Downloads stream without staging and keep the integrity guarantee: every chunk carries its sha256 from upload and is
/// checked before it is sent. A bad first chunk is a 422 before any byte; a bad later chunk breaks the transfer (the
/// client never receives a complete wrong file); either way the blob is discarded. Blobs from before chunk hashes are
/// verified whole first, as before.
/// </summary>
public sealed class StreamedDownloadTests(WebAppFixture web) : IClassFixture<WebAppFixture>
{
    private async Task<(HttpClient Agent, byte[] Bytes, string Hash)> UploadAsync(int size)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        await web.HoldAttemptAsync(backboneBlob: hash);
        var agent = web.AsAgent();
        Assert.Equal(HttpStatusCode.Created, (await agent.PutAsync($"/api/agent/blobs/{hash}", TestHelpers.Octets(bytes))).StatusCode);
        return (agent, bytes, hash);
    }

    private async Task CorruptAsync(string hash, int chunk)
    {
        await using var db = web.Db();
        await db.Database.ExecuteSqlInterpolatedAsync($"UPDATE blob_chunks SET data = set_byte(data, 100, (get_byte(data, 100) + 1) % 256) WHERE hash = {hash} AND index = {chunk}");
    }

    [Fact]
    public async Task A_multi_chunk_blob_streams_whole_with_its_length()
    {
        var (agent, bytes, hash) = await UploadAsync(6 * 1024 * 1024 + 123);   // two 4 MiB chunks
        using var _ = agent;
        await using (var db = web.Db())
            Assert.Equal(2, await db.BlobChunks.CountAsync(c => c.Hash == hash && c.Sha256 != null));
        using var response = await agent.GetAsync($"/api/agent/blobs/{hash}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(bytes.Length, response.Content.Headers.ContentLength);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_corrupted_first_chunk_is_a_422_and_a_corrupted_later_chunk_breaks_the_transfer()
    {
        var (agent, _, first) = await UploadAsync(5 * 1024 * 1024);
        using var __ = agent;
        await CorruptAsync(first, 0);
        using (var response = await agent.GetAsync($"/api/agent/blobs/{first}"))
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);

        var (agent2, bytes, later) = await UploadAsync(5 * 1024 * 1024 + 7);
        using var ___ = agent2;
        await CorruptAsync(later, 1);
        using (var response = await agent2.GetAsync($"/api/agent/blobs/{later}", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await Assert.ThrowsAnyAsync<Exception>(async () => await response.Content.ReadAsByteArrayAsync());
        }
        await using var db = web.Db();
        Assert.False(await db.Blobs.AnyAsync(b => b.Hash == later || b.Hash == first));
    }

    [Fact]
    public async Task A_blob_stored_before_chunk_hashes_is_verified_whole_first()
    {
        var (agent, bytes, hash) = await UploadAsync(100_000);
        using var _ = agent;
        await using (var db = web.Db())
            await db.Database.ExecuteSqlInterpolatedAsync($"UPDATE blob_chunks SET sha256 = NULL WHERE hash = {hash}");
        using (var response = await agent.GetAsync($"/api/agent/blobs/{hash}"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
        }
        await CorruptAsync(hash, 0);
        using (var response = await agent.GetAsync($"/api/agent/blobs/{hash}"))
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
    }
}
