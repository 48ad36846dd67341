using System.Net;
using System.Text;
using AdapterLab.Data.Entities;
using AdapterLab.Web.Auth;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Web;

/// <summary>API keys and scopes: 401 without a valid key, 403 without the scope, agent tokens only on agent endpoints.</summary>
public sealed class ApiAuthTests(WebAppFixture web) : IClassFixture<WebAppFixture>
{
    [Fact]
    public async Task The_bootstrap_inference_key_opens_the_serving_api_and_nothing_else()
    {
        using var client = web.WithApiKey(WebAppFixture.InferenceKey);
        using (var r = await client.GetAsync("/api/serving/models/none/versions/1")) Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        using (var r = await client.GetAsync("/api/serving/blobs/" + new string('a', 64))) Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        using (var r = await client.GetAsync("/api/experiments")) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await client.GetAsync("/api/models")) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await web.WithApiKey("not-a-key").GetAsync("/api/serving/models/none/versions/1")) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        await using var db = web.Db();
        var key = await db.ApiKeys.SingleAsync(k => k.Name == "inference");
        Assert.Equal(["models:serve"], key.Scopes);
    }

    [Fact]
    public async Task A_missing_key_is_a_401_problem()
    {
        using var client = web.Anonymous();
        var response = await client.GetAsync("/api/experiments");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/api/experiments", new StringContent("{}", Encoding.UTF8, "application/json"))).StatusCode);
    }

    [Fact]
    public async Task An_unknown_or_revoked_key_is_a_401()
    {
        using (var client = web.WithApiKey("not-a-key"))
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/experiments")).StatusCode);

        var revoked = await AddKeyAsync([Scopes.Admin], revoked: true);
        using (var client = web.WithApiKey(revoked))
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/experiments")).StatusCode);
    }

    [Fact]
    public async Task A_read_only_key_may_read_but_not_submit()
    {
        var key = await AddKeyAsync([Scopes.Read]);
        using var client = web.WithApiKey(key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/experiments")).StatusCode);
        var before = await CountExperimentsAsync();
        var response = await client.PostAsync("/api/experiments", new StringContent(WebTestSpecs.AdaptFormer, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await CountExperimentsAsync());
    }

    [Fact]
    public async Task An_experiments_write_key_may_submit()
    {
        var key = await AddKeyAsync([Scopes.Read, Scopes.ExperimentsWrite]);
        using var client = web.WithApiKey(key);
        var response = await client.PostAsync("/api/experiments", new StringContent(WebTestSpecs.AdaptFormer, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Api_keys_do_not_open_agent_endpoints_and_agent_tokens_do_not_open_the_api()
    {
        var hash = new string('a', 64);
        using (var client = web.WithApiKey())
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync($"/api/agent/blobs/{hash}")).StatusCode);
        using (var agent = web.AsAgent())
            Assert.Equal(HttpStatusCode.Unauthorized, (await agent.GetAsync("/api/experiments")).StatusCode);
    }

    [Fact]
    public async Task A_successful_use_records_last_used_at_at_most_once_a_minute_and_a_refused_one_not_at_all()
    {
        var key = await AddKeyAsync([Scopes.Read]);
        var hash = SecretHash.Of(key);
        Assert.Null(await LastUsedAsync(hash));

        using var client = web.WithApiKey(key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/experiments")).StatusCode);
        // Written in the background, off the request path.
        DateTimeOffset? first = null;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (first is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            first = await LastUsedAsync(hash);
        }
        Assert.NotNull(first);
        Assert.InRange(first.Value, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(5));

        // Within the minute, further uses write nothing (the throttle), forbidden ones included.
        for (int i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/experiments")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/api/experiments", new StringContent("{}", Encoding.UTF8, "application/json"))).StatusCode);
        await Task.Delay(1000);
        Assert.Equal(first, await LastUsedAsync(hash));

        // A revoked key authenticates nothing and records nothing.
        var revoked = await AddKeyAsync([Scopes.Read], revoked: true);
        using (var refused = web.WithApiKey(revoked))
            Assert.Equal(HttpStatusCode.Unauthorized, (await refused.GetAsync("/api/experiments")).StatusCode);
        await Task.Delay(500);
        Assert.Null(await LastUsedAsync(SecretHash.Of(revoked)));
    }

    private async Task<DateTimeOffset?> LastUsedAsync(string hash)
    {
        await using var db = web.Db();
        return await db.ApiKeys.Where(k => k.Hash == hash).Select(k => k.LastUsedAt).SingleAsync();
    }

    /// <summary>Registers an API key the way an admin would (hashed, prefix kept); returns the plaintext.</summary>
    private async Task<string> AddKeyAsync(string[] scopes, bool revoked = false)
    {
        var secret = SecretHash.NewSecret();
        await using var db = web.Db();
        db.ApiKeys.Add(new ApiKey
        {
            Id = Guid.NewGuid(), Name = "test-" + string.Join("+", scopes), Prefix = SecretHash.Prefix(secret), Hash = SecretHash.Of(secret),
            Scopes = scopes, CreatedAt = DateTimeOffset.UtcNow, RevokedAt = revoked ? DateTimeOffset.UtcNow : null,
            // A key with no platform scope acts in one project (here the default one), as the key API makes it.
            ProjectId = scopes.Contains(Scopes.Admin) || scopes.Contains(Scopes.ModelsServe) ? null : Project.DefaultId,
        });
        await db.SaveChangesAsync();
        return secret;
    }

    private async Task<int> CountExperimentsAsync()
    {
        await using var db = web.Db();
        return db.Experiments.Count();
    }
}
