using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AdapterLab.Data.Entities;
using AdapterLab.IntegrationTests.Web;
using AdapterLab.Web.Auth;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace AdapterLab.IntegrationTests.Suites;

/// <summary>
/// The trigger's refusals on the web service alone (no training): the per-key rate limit (429 with Retry-After) and the
/// window check (422 when the estimate does not fit; trim=true runs the part that fits).
/// </summary>
public sealed class SuiteTriggerLimitsTests(WebAppFixture web) : IClassFixture<WebAppFixture>
{
    private static object Adapt(string name, int steps) => new
    {
        name,
        spec = new
        {
            kind = "adapt",
            backbone = new { preset = "vit-tiny-ci", source = "random" },
            method = new { name = "linear-probe" },
            data = new { labelFamily = "object-count", sourceDomain = "textured", trainSize = 64, validationSize = 32, testSize = 32 },
            training = new { steps, batchSize = 64 },
        },
    };

    private async Task PutSuiteAsync(string name, string? window, params object[] experiments)
    {
        using var admin = web.WithApiKey();
        var json = JsonSerializer.Serialize(new { name, window, seeds = new[] { 1 }, experiments }, JsonSerializerOptions.Web);
        using var response = await admin.PutAsync($"/api/suites/{name}", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, $"PUT suite: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>An agent that announced itself just now: one free slot in pool cpu for the estimate.</summary>
    private async Task PlantAgentAsync()
    {
        await using var db = web.Db();
        var now = DateTimeOffset.UtcNow;
        db.Agents.Add(new Agent
        {
            Id = "limits-" + Guid.NewGuid().ToString("N")[..8], Pool = "cpu", Device = "cpu", Host = "test", QueueName = "none",
            Slots = 1, ReportedFreeSlots = 1, Version = "test", FirstSeenAt = now, LastSeenAt = now,
        });
        await db.SaveChangesAsync();
    }

    private async Task<HttpClient> KeyAsync(params string[] scopes)
    {
        var secret = SecretHash.NewSecret();
        await using var db = web.Db();
        db.ApiKeys.Add(new ApiKey
        {
            Id = Guid.NewGuid(), Name = "limits-" + Guid.NewGuid().ToString("N")[..6], Prefix = SecretHash.Prefix(secret), Hash = SecretHash.Of(secret),
            Scopes = scopes, CreatedAt = DateTimeOffset.UtcNow, ProjectId = Project.DefaultId,
        });
        await db.SaveChangesAsync();
        return web.WithApiKey(secret);
    }

    [Fact]
    public async Task Triggers_beyond_the_per_key_limit_are_429_with_retry_after_and_other_keys_are_unaffected()
    {
        int permits = web.App.Configuration.GetValue("Suites:TriggersPerMinute", 20);
        using var ci = await KeyAsync(Scopes.SuitesTrigger);
        // A suite that does not exist: each trigger is a cheap 404, and still counts against the key's window.
        for (int i = 0; i < permits; i++)
            Assert.Equal(HttpStatusCode.NotFound, (await ci.PostAsync("/api/suites/no-such-suite/runs", null)).StatusCode);

        using var limited = await ci.PostAsync("/api/suites/no-such-suite/runs", null);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        var retryAfter = limited.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, 60);
        var problem = await limited.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        Assert.Contains($"{permits} triggers per minute", problem.GetProperty("detail").GetString());

        // The limit is per key: another key is served, and reads with the limited key are not limited.
        using var other = await KeyAsync(Scopes.SuitesTrigger, Scopes.Read);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync("/api/suites/no-such-suite/runs", null)).StatusCode);
        using var reader = await KeyAsync(Scopes.Read);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/suites")).StatusCode);
    }

    [Fact]
    public async Task A_suite_that_cannot_finish_inside_its_window_is_refused_with_422_and_nothing_starts()
    {
        await PlantAgentAsync();
        // 100,000 steps × 64 images at the default vit-tiny-ci rate (50 images/s) is about 36 hours; the window is one.
        await PutSuiteAsync("limits-window", "01:00:00", Adapt("huge", 100_000));
        using var ci = await KeyAsync(Scopes.SuitesTrigger);

        using var response = await ci.PostAsync("/api/suites/limits-window/runs", null);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(3600, problem.GetProperty("windowSeconds").GetDouble());
        Assert.True(problem.GetProperty("estimateSeconds").GetDouble() > 3600, problem.ToString());
        Assert.True(problem.GetProperty("slots").GetInt32() >= 1);
        Assert.Contains("trim=true", problem.GetProperty("detail").GetString());

        // Trimming cannot help a single experiment that does not fit.
        using (var trimmed = await ci.PostAsync("/api/suites/limits-window/runs?trim=true", null))
            Assert.Equal(HttpStatusCode.UnprocessableEntity, trimmed.StatusCode);

        await using var db = web.Db();
        var suiteId = await db.Suites.Where(s => s.Name == "limits-window").Select(s => s.Id).SingleAsync();
        Assert.False(await db.SuiteRuns.AnyAsync(r => r.SuiteId == suiteId), "an API trigger that is refused leaves no run");
        Assert.False(await db.Experiments.AnyAsync(e => e.Suite == "limits-window"));
    }

    [Fact]
    public async Task With_trim_the_part_that_fits_the_window_runs()
    {
        await PlantAgentAsync();
        await PutSuiteAsync("limits-trim", "01:00:00", Adapt("small", 5), Adapt("huge", 100_000));
        using var ci = await KeyAsync(Scopes.SuitesTrigger, Scopes.Read);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await ci.PostAsync("/api/suites/limits-trim/runs", null)).StatusCode);

        using var response = await ci.PostAsync("/api/suites/limits-trim/runs?trim=true", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, accepted.GetProperty("experimentCount").GetInt32());
        await using var db = web.Db();
        var run = await db.SuiteRuns.SingleAsync(r => r.Id == accepted.GetProperty("id").GetGuid());
        Assert.Contains("trimmed 1 experiment", run.Note);
        var names = await db.Experiments.Where(e => e.SuiteRunId == run.Id).Select(e => e.Name).ToListAsync();
        Assert.Contains("small", Assert.Single(names));
    }
}
