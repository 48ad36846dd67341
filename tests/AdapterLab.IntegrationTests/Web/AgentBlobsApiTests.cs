using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net;
using System.Security.Cryptography;
using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdapterLab.IntegrationTests.Web;

/// <summary>
/// Agents upload and download checkpoints through the streamed blob endpoints, within their leases: an agent reads the
/// weights it was sent for an attempt it holds and uploads only while it holds one.
/// </summary>
public sealed class AgentBlobsApiTests(WebAppFixture web) : IClassFixture<WebAppFixture>
{
    [Fact]
    public async Task A_blob_round_trips_and_a_second_upload_is_deduplicated()
    {
        // Larger than one 4 MiB chunk, so the chunked path is exercised.
        var bytes = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 123);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        using var agent = web.AsAgent();
        await web.HoldAttemptAsync(backboneBlob: hash);

        var put = await agent.PutAsync($"/api/agent/blobs/{hash}", TestHelpers.Octets(bytes));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var again = await agent.PutAsync($"/api/agent/blobs/{hash}", TestHelpers.Octets(bytes));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);

        var head = await agent.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/agent/blobs/{hash}"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(bytes.Length, head.Content.Headers.ContentLength);

        var get = await agent.GetAsync($"/api/agent/blobs/{hash}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("application/octet-stream", get.Content.Headers.ContentType?.MediaType);
        Assert.Equal(bytes.Length, get.Content.Headers.ContentLength);
        Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task An_upload_whose_bytes_do_not_match_the_hash_is_rejected_and_nothing_is_stored()
    {
        var bytes = RandomNumberGenerator.GetBytes(10_000);
        var claimed = Convert.ToHexStringLower(SHA256.HashData(RandomNumberGenerator.GetBytes(16)));
        var before = await CountAsync();
        using var agent = web.AsAgent();
        // Leases naming both hashes, so that a read answers whether anything was stored (404), not a refusal.
        await web.HoldAttemptAsync(backboneBlob: Convert.ToHexStringLower(SHA256.HashData(bytes)));
        await web.HoldAttemptAsync(backboneBlob: claimed);
        var put = await agent.PutAsync($"/api/agent/blobs/{claimed}", TestHelpers.Octets(bytes));
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("application/problem+json", put.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await CountAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await agent.GetAsync($"/api/agent/blobs/{claimed}")).StatusCode);
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Assert.Equal(HttpStatusCode.NotFound, (await agent.GetAsync($"/api/agent/blobs/{actual}")).StatusCode);
    }

    [Fact]
    public async Task An_upload_over_the_cap_is_a_413_whether_declared_or_streamed_and_nothing_is_stored()
    {
        // The fixture caps uploads at 8 MiB.
        var bytes = RandomNumberGenerator.GetBytes(9 * 1024 * 1024);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var before = await CountAsync();
        using var agent = web.AsAgent();
        await web.HoldAttemptAsync(backboneBlob: hash);
        using var declared = await agent.PutAsync($"/api/agent/blobs/{hash}", TestHelpers.Octets(bytes));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);
        Assert.Equal("application/problem+json", declared.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Agents:MaxUploadBytes", await declared.Content.ReadAsStringAsync());
        // Chunked transfer: no Content-Length, the cap is enforced on the bytes received.
        var streamed = new StreamContent(new MemoryStream(bytes));
        streamed.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/agent/blobs/{hash}") { Content = streamed };
        request.Headers.TransferEncodingChunked = true;
        using var chunked = await agent.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunked.StatusCode);
        Assert.Equal(before, await CountAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await agent.GetAsync($"/api/agent/blobs/{hash}")).StatusCode);
    }

    [Fact]
    public async Task Outside_its_leases_an_agent_reads_and_writes_nothing_and_each_refusal_is_audited()
    {
        // A blob stored for someone else's experiment (as another agent's upload would have).
        var theirs = RandomNumberGenerator.GetBytes(20_000);
        var theirHash = Convert.ToHexStringLower(SHA256.HashData(theirs));
        await web.App.Services.GetRequiredService<AdapterLab.Data.Blobs.BlobStore>().PutAsync(new MemoryStream(theirs), theirHash, CancellationToken.None);

        // A token issued to an agent that holds no attempt.
        string token;
        using (var admin = web.WithApiKey())
        using (var issued = await admin.PostAsJsonAsync("/api/agent-tokens", new { name = "idle-" + Guid.NewGuid().ToString("N")[..6] }))
            token = (await issued.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("token").GetString()!;
        using var idle = web.Anonymous();
        idle.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var before = await CountAsync();
        var mine = RandomNumberGenerator.GetBytes(10_000);
        using (var get = await idle.GetAsync($"/api/agent/blobs/{theirHash}"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, get.StatusCode);
            Assert.Equal("application/problem+json", get.Content.Headers.ContentType?.MediaType);
        }
        using (var put = await idle.PutAsync($"/api/agent/blobs/{Convert.ToHexStringLower(SHA256.HashData(mine))}", TestHelpers.Octets(mine)))
            Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        Assert.Equal(before, await CountAsync());

        // Holding an attempt pinned to another blob does not open this one either.
        await web.HoldAttemptAsync(backboneBlob: new string('b', 64));
        using (var agent = web.AsAgent())
        using (var get = await agent.GetAsync($"/api/agent/blobs/{theirHash}"))
            Assert.Equal(HttpStatusCode.Forbidden, get.StatusCode);

        await using var db = web.Db();
        var audited = await db.RefusedMessages.AsNoTracking().Where(r => r.Reason.Contains(theirHash) || r.MessageType == "PUT blob").ToListAsync();
        Assert.Contains(audited, r => r.MessageType == "GET blob" && r.Sender.StartsWith("agent-token:idle-"));
        Assert.Contains(audited, r => r.MessageType == "PUT blob" && r.Sender.StartsWith("agent-token:idle-"));
        Assert.Contains(audited, r => r.MessageType == "GET blob" && r.Sender == "agent-token:" + WebAppFixture.BootstrapAgent);
    }

    [Fact]
    public async Task A_malformed_hash_is_a_400()
    {
        using var agent = web.AsAgent();
        Assert.Equal(HttpStatusCode.BadRequest, (await agent.PutAsync("/api/agent/blobs/not-a-hash", TestHelpers.Octets([1, 2, 3]))).StatusCode);
    }

    private async Task<(int Blobs, int Chunks)> CountAsync()
    {
        await using var db = web.Db();
        return (await db.Blobs.CountAsync(), await db.BlobChunks.CountAsync());
    }
}
