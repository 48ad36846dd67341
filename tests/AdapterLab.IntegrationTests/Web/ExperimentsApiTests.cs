using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Messages;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Web;

/// <summary>The experiments API against real PostgreSQL and RabbitMQ: submission, validation, outbox, cancel/retry, backbones.</summary>
public sealed class ExperimentsApiTests(WebAppFixture web) : IClassFixture<WebAppFixture>
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_valid_spec_is_stored_as_queued_with_its_outbox_message_which_is_relayed()
    {
        using var client = web.WithApiKey();
        var response = await client.PostAsync("/api/experiments", Json(WebTestSpecs.AdaptFormer));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("id").GetGuid();
        Assert.Equal("Queued", body.GetProperty("status").GetString());
        Assert.Equal($"/api/experiments/{id}", response.Headers.Location?.OriginalString);

        await using var db = web.Db();
        var e = await db.Experiments.SingleAsync(x => x.Id == id);
        Assert.Equal(ExperimentStatus.Queued, e.Status);
        Assert.Equal("adaptformer", e.Method);
        Assert.Equal("apikey:bootstrap", e.Owner);
        Assert.Equal(7, e.Seed);
        Assert.Equal(5, e.Priority);
        Assert.Equal(new[] { "fog" }, e.TargetDomains);
        Assert.Equal(6_560 + 96 * 4 + 4, e.TrainableParameters);
        Assert.Equal(64, e.SpecHash.Length);
        Assert.NotEqual(e.SpecHash, e.ConfigurationHash);
        var transition = await db.StateTransitions.SingleAsync(t => t.ExperimentId == id);
        Assert.Equal(("", "Queued", "apikey:bootstrap"), (transition.From, transition.To, transition.Actor));

        var outbox = await db.Outbox.AsNoTracking().Where(o => o.MessageType == typeof(ExperimentSubmitted).FullName).ToListAsync();
        var row = Assert.Single(outbox, o => o.Payload.Contains(id.ToString()));
        // Relayed right after the commit; allow for the bus's first connection.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (row.SentAt is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            row = await db.Outbox.AsNoTracking().SingleAsync(o => o.Id == row.Id);
        }
        Assert.NotNull(row.SentAt);

        var details = await client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}");
        Assert.Equal("Queued", details.GetProperty("status").GetString());
        Assert.Equal(8, details.GetProperty("spec").GetProperty("method").GetProperty("bottleneck").GetInt32());
        var transitions = await client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}/transitions");
        Assert.Equal(1, transitions.GetArrayLength());
        var metrics = await client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}/metrics?name=loss");
        Assert.Equal(0, metrics.GetArrayLength());
    }

    [Fact]
    public async Task Metric_points_come_in_pages_that_together_are_the_whole_curve()
    {
        using var client = web.WithApiKey();
        var response = await client.PostAsync("/api/experiments", Json(WebTestSpecs.AdaptFormer));
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await using (var db = web.Db())
        {
            foreach (var step in Enumerable.Range(1, 9))
                foreach (var (name, split, domain) in new[] { ("loss", "train", "synthetic"), ("accuracy", "validation", "synthetic"), ("accuracy", "validation", "fog") })
                    db.MetricPoints.Add(new AdapterLab.Data.Entities.MetricPointRow { ExperimentId = id, Name = name, Split = split, Task = "classification", Domain = domain, Step = step, AttemptNumber = 1, Value = step });
            await db.SaveChangesAsync();
        }
        var whole = await client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}/metrics");
        Assert.Equal(27, whole.GetArrayLength());

        var paged = new List<string>();
        string? url = $"/api/experiments/{id}/metrics?limit=4";
        int pages = 0;
        while (url is not null)
        {
            using var page = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var points = await page.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(points.GetArrayLength() <= 4);
            paged.AddRange(points.EnumerateArray().Select(p => p.GetRawText()));
            url = page.Headers.TryGetValues("X-Next-Cursor", out var next) ? $"/api/experiments/{id}/metrics?limit=4&cursor={next.Single()}" : null;
            pages++;
        }
        Assert.Equal(7, pages);
        Assert.Equal(whole.EnumerateArray().Select(p => p.GetRawText()), paged);
        foreach (var bad in new[] { "limit=0", "limit=50001", "cursor=not-a-cursor" })
            Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/api/experiments/{id}/metrics?{bad}")).StatusCode);
    }

    [Theory]
    [MemberData(nameof(InvalidSpecFiles.Names), MemberType = typeof(InvalidSpecFiles))]
    public async Task An_invalid_example_is_rejected_naming_its_field_and_nothing_is_written(string file)
    {
        var (json, field) = InvalidSpecFiles.Load(file);
        var before = await CountRowsAsync();
        using var client = web.WithApiKey();
        var response = await client.PostAsync("/api/experiments", Json(json));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"{file}: expected errors.{field} in {problem}");
        Assert.Equal(before, await CountRowsAsync());
    }

    [Fact]
    public async Task Listing_pages_and_filters()
    {
        using var client = web.WithApiKey();
        for (int i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/experiments", Json(WebTestSpecs.AdaptFormer.Replace("\"web-test\"", "\"paging\"")))).StatusCode);
        var page = await client.GetFromJsonAsync<JsonElement>("/api/experiments?tag=paging&pageSize=2&page=1");
        Assert.Equal(3, page.GetProperty("total").GetInt32());
        Assert.Equal(2, page.GetProperty("items").GetArrayLength());
        var second = await client.GetFromJsonAsync<JsonElement>("/api/experiments?tag=paging&pageSize=2&page=2&status=Queued&kind=adapt&method=adaptformer&sort=priority");
        Assert.Equal(1, second.GetProperty("items").GetArrayLength());
        var none = await client.GetFromJsonAsync<JsonElement>("/api/experiments?tag=paging&status=Running");
        Assert.Equal(0, none.GetProperty("total").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/experiments?pageSize=500")).StatusCode);
    }

    [Fact]
    public async Task Cancel_is_accepted_for_a_queued_experiment_and_retry_is_refused()
    {
        using var client = web.WithApiKey();
        var created = await (await client.PostAsync("/api/experiments", Json(WebTestSpecs.AdaptFormer))).Content.ReadFromJsonAsync<JsonElement>();
        var id = created.GetProperty("id").GetGuid();

        var retry = await client.PostAsync($"/api/experiments/{id}/retry", null);
        Assert.Equal(HttpStatusCode.Conflict, retry.StatusCode);
        Assert.Equal("application/problem+json", retry.Content.Headers.ContentType?.MediaType);

        var cancel = await client.PostAsync($"/api/experiments/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        await using var db = web.Db();
        Assert.True(await HasOutboxMessageAsync<CancelRequested>(db, id));
        // The orchestrator owns the lifecycle: the web only records the request.
        Assert.Equal(ExperimentStatus.Queued, (await db.Experiments.SingleAsync(e => e.Id == id)).Status);

        await db.Experiments.Where(e => e.Id == id).ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, ExperimentStatus.Cancelled));
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync($"/api/experiments/{id}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/experiments/{id}/retry", null)).StatusCode);
        Assert.True(await HasOutboxMessageAsync<RetryRequested>(db, id));

        var clone = await client.PostAsync($"/api/experiments/{id}/clone", null);
        Assert.Equal(HttpStatusCode.Created, clone.StatusCode);
        var cloneId = (await clone.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.NotEqual(id, cloneId);
        var original = await db.Experiments.SingleAsync(e => e.Id == id);
        Assert.Equal(original.SpecHash, (await db.Experiments.SingleAsync(e => e.Id == cloneId)).SpecHash);
    }

    [Fact]
    public async Task A_pretrain_registers_a_pending_backbone_and_a_second_one_with_the_same_name_conflicts()
    {
        using var client = web.WithApiKey();
        var name = "bb-" + Guid.NewGuid().ToString("N")[..8];
        var first = await client.PostAsync("/api/experiments", Json(WebTestSpecs.Pretrain(name)));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var id = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        var backbones = await client.GetFromJsonAsync<JsonElement>("/api/backbones");
        var bb = backbones.EnumerateArray().Single(b => b.GetProperty("name").GetString() == name);
        Assert.False(bb.GetProperty("ready").GetBoolean());
        Assert.Equal(id, bb.GetProperty("sourceExperimentId").GetGuid());

        var before = await CountRowsAsync();
        var second = await client.PostAsync("/api/experiments", Json(WebTestSpecs.Pretrain(name)));
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Contains("backbone.registerAs", await second.Content.ReadAsStringAsync());
        Assert.Equal(before, await CountRowsAsync());
    }

    [Fact]
    public async Task A_name_reserved_by_a_pretrain_that_ended_without_weights_can_be_registered_again()
    {
        using var client = web.WithApiKey();
        var name = "bb-" + Guid.NewGuid().ToString("N")[..8];
        var first = await client.PostAsync("/api/experiments", Json(WebTestSpecs.Pretrain(name)));
        var firstId = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await using (var db = web.Db())
            await db.Experiments.Where(e => e.Id == firstId).ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, ExperimentStatus.Cancelled));

        var second = await client.PostAsync("/api/experiments", Json(WebTestSpecs.Pretrain(name)));
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        var secondId = (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var backbones = await client.GetFromJsonAsync<JsonElement>("/api/backbones");
        Assert.Equal(secondId, backbones.EnumerateArray().Single(b => b.GetProperty("name").GetString() == name).GetProperty("sourceExperimentId").GetGuid());

        // The new owner is still queued: its name is not free.
        var third = await client.PostAsync("/api/experiments", Json(WebTestSpecs.Pretrain(name)));
        Assert.Equal(HttpStatusCode.Conflict, third.StatusCode);
    }

    [Fact]
    public async Task An_unknown_experiment_is_a_404_problem()
    {
        using var client = web.WithApiKey();
        var response = await client.GetAsync($"/api/experiments/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    // Payload is jsonb: compare on this side rather than with a SQL LIKE.
    private static async Task<bool> HasOutboxMessageAsync<T>(Data.PlatformDbContext db, Guid experimentId) =>
        (await db.Outbox.AsNoTracking().Where(o => o.MessageType == typeof(T).FullName).Select(o => o.Payload).ToListAsync())
        .Any(p => p.Contains(experimentId.ToString()));

    private async Task<(int Experiments, int Outbox, int Transitions, int Backbones)> CountRowsAsync()
    {
        await using var db = web.Db();
        return (await db.Experiments.CountAsync(), await db.Outbox.CountAsync(), await db.StateTransitions.CountAsync(), await db.Backbones.CountAsync());
    }
}
