using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Lifecycle;

/// <summary>Each agent gets its own token from an admin; it opens only the agent endpoints, and revoking it shuts them.</summary>
[Collection(SharedPlatformCollection.Name)]
public sealed class AgentTokensAreIssuedAndRevoked(SharedPlatform platform)
{
    [Fact]
    public async Task An_issued_token_works_until_it_is_revoked_and_is_listed_by_prefix_only()
    {
        using var issued = await platform.Api.PostAsJsonAsync("/api/agent-tokens", new { name = "agent-on-host-7" });
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        var body = JsonDocument.Parse(await issued.Content.ReadAsStringAsync()).RootElement;
        var token = body.GetProperty("token").GetString()!;
        var id = body.GetProperty("id").GetGuid();

        using var agent = new HttpClient { BaseAddress = platform.WebAddress };
        agent.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var missing = new string('0', 64);
        // Authenticated, but this agent holds no attempt: its leases name no blob.
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/agent/blobs/{missing}"))).StatusCode);
        // An agent token is not an API key.
        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.GetAsync("/api/experiments")).StatusCode);

        var list = await platform.Api.GetStringAsync("/api/agent-tokens");
        Assert.Contains(token[..8], list);
        Assert.DoesNotContain(token, list);

        Assert.Equal(HttpStatusCode.NoContent, (await platform.Api.DeleteAsync($"/api/agent-tokens/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/agent/blobs/{missing}"))).StatusCode);
    }

    [Fact]
    public async Task A_token_records_its_last_use_and_stops_working_when_it_expires()
    {
        using var issued = await platform.Api.PostAsJsonAsync("/api/agent-tokens", new { name = "expiring-agent", expiresInDays = 30 });
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        var body = JsonDocument.Parse(await issued.Content.ReadAsStringAsync()).RootElement;
        var id = body.GetProperty("id").GetGuid();
        var expires = body.GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromDays(29.9), TimeSpan.FromDays(30));

        using var agent = new HttpClient { BaseAddress = platform.WebAddress };
        agent.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("token").GetString()!);
        var missing = new string('0', 64);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/agent/blobs/{missing}"))).StatusCode);
        var listed = JsonDocument.Parse(await platform.Api.GetStringAsync("/api/agent-tokens")).RootElement.EnumerateArray().Single(t => t.GetProperty("id").GetGuid() == id);
        Assert.True(listed.GetProperty("lastUsedAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-1));

        // Past its expiry it opens nothing.
        await using (var db = platform.Db())
            await db.AgentTokens.Where(t => t.Id == id).ExecuteUpdateAsync(u => u.SetProperty(t => t.ExpiresAt, DateTimeOffset.UtcNow.AddSeconds(-1)));
        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/agent/blobs/{missing}"))).StatusCode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(4000)]
    public async Task An_out_of_range_lifetime_is_a_400_naming_the_field(int days)
    {
        using var response = await platform.Api.PostAsJsonAsync("/api/agent-tokens", new { name = "x", expiresInDays = days });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("expiresInDays", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Only_admins_issue_tokens()
    {
        using var anonymous = new HttpClient { BaseAddress = platform.WebAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/agent-tokens", new { name = "x" })).StatusCode);
    }
}
