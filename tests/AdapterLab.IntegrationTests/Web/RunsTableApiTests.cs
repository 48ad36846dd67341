using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AdapterLab.Data.Leaderboards;

namespace AdapterLab.IntegrationTests.Web;

/// <summary>
/// The runs table through <c>GET /api/experiments</c> on real PostgreSQL: the expression filter over built-ins, metrics and
/// spec fields; metric and spec columns; sorting by a metric with runs lacking it last; archive and restore (lists and
/// boards); CSV export; saved views; refusals naming their parameter.
/// </summary>
public sealed class RunsTableApiTests(WebAppFixture web) : IClassFixture<WebAppFixture>
{
    private static readonly DateTimeOffset T0 = new(2025, 7, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Five runs under a fresh tag: seeds 1–3 of a LoRA configuration (fog accuracy 0.6, 0.7, 0.8), a probe at 0.5, and a run without results.</summary>
    private async Task<(string Tag, Guid[] Ids)> PlantAsync()
    {
        var tag = "runs-" + Guid.NewGuid().ToString("N")[..8];
        var ids = new List<Guid>();
        await using var db = web.Db();
        for (int seed = 1; seed <= 3; seed++)
            ids.Add(PlantedExperiments.Add(db, $"{tag}-lora", seed, T0.AddMinutes(seed), new Dictionary<string, double> { ["fog"] = 0.5 + 0.1 * seed },
                method: "lora", tags: [tag], name: $"{tag} lora seed {seed}").Id);
        ids.Add(PlantedExperiments.Add(db, $"{tag}-probe", 1, T0.AddMinutes(4), new Dictionary<string, double> { ["fog"] = 0.5 }, tags: [tag], name: $"{tag} probe").Id);
        ids.Add(PlantedExperiments.Add(db, $"{tag}-empty", 1, T0.AddMinutes(5), tags: [tag], name: $"{tag} no results").Id);
        await db.SaveChangesAsync();
        foreach (var id in ids) await LeaderboardProjection.RefreshAsync(db, id, CancellationToken.None);
        return (tag, ids.ToArray());
    }

    private static List<Guid> Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToList();

    private static async Task<JsonElement> GetAsync(HttpClient client, string query)
    {
        var response = await client.GetAsync("/api/experiments?" + query);
        Assert.True(response.IsSuccessStatusCode, $"{query}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task The_expression_filter_selects_by_metric_spec_field_method_and_several_tags()
    {
        var (tag, ids) = await PlantAsync();
        using var client = web.WithApiKey();
        string Q(string q) => "q=" + Uri.EscapeDataString(q);

        Assert.Equal(new[] { ids[2], ids[1] }, Ids(await GetAsync(client, Q($"tag:{tag} and test.accuracy > 0.65 and method = lora"))));
        Assert.Equal(new[] { ids[2], ids[1] }, Ids(await GetAsync(client, Q($"tag:{tag} test.classification.fog.accuracy >= 0.7"))));
        Assert.Equal(new[] { ids[2], ids[1] }, Ids(await GetAsync(client, Q($"tag:{tag} training.seed >= 2"))));
        Assert.Equal(new[] { ids[3] }, Ids(await GetAsync(client, Q($"tag:{tag} method != lora and test.accuracy < 0.55"))));
        Assert.Equal(new[] { ids[4], ids[0] }, Ids(await GetAsync(client, Q($"tag:{tag} (\"no results\" or seed = 1 and method ~ LOR)"))));
        Assert.Empty(Ids(await GetAsync(client, Q($"tag:{tag} tag:someone-else"))));
        // A bare word searches names anywhere in them (not only prefixes), as the name filter does.
        Assert.Equal(new[] { ids[3] }, Ids(await GetAsync(client, Q($"tag:{tag} probe"))));
        Assert.Equal(new[] { ids[3] }, Ids(await GetAsync(client, $"tag={tag}&name=PROB")));
    }

    [Fact]
    public async Task Columns_carry_values_and_a_metric_sort_puts_runs_without_it_last()
    {
        var (tag, ids) = await PlantAsync();
        using var client = web.WithApiKey();
        var page = await GetAsync(client, $"tag={tag}&sort=test.classification.fog.accuracy&dir=desc&columns=test.classification.fog.accuracy,training.seed,params,method.name");
        Assert.Equal(new[] { ids[2], ids[1], ids[0], ids[3], ids[4] }, Ids(page));
        var first = page.GetProperty("items")[0].GetProperty("values");
        Assert.Equal(0.8, first.GetProperty("test.classification.fog.accuracy").GetDouble(), 9);
        Assert.Equal(3, first.GetProperty("training.seed").GetDouble());
        Assert.Equal(1000, first.GetProperty("params").GetDouble());
        Assert.Equal("lora", first.GetProperty("method.name").GetString());
        Assert.Equal(JsonValueKind.Null, page.GetProperty("items")[4].GetProperty("values").GetProperty("test.classification.fog.accuracy").ValueKind);

        // Ascending, and paged: the blanks still come last, and page 2 continues where page 1 stopped.
        var p1 = await GetAsync(client, $"tag={tag}&sort=test.classification.fog.accuracy&dir=asc&pageSize=3");
        var p2 = await GetAsync(client, $"tag={tag}&sort=test.classification.fog.accuracy&dir=asc&pageSize=3&page=2");
        Assert.Equal(new[] { ids[3], ids[0], ids[1], ids[2], ids[4] }, Ids(p1).Concat(Ids(p2)));
        // Filtered on the very metric it is sorted by: no blanks can follow (their read is skipped), and none do.
        Assert.Equal(new[] { ids[1], ids[2] }, Ids(await GetAsync(client,
            $"tag={tag}&sort=test.classification.fog.accuracy&dir=asc&q={Uri.EscapeDataString("test.classification.fog.accuracy >= 0.7")}")));
        // A spec field sorts too (numbers as numbers).
        Assert.Equal(new[] { ids[2], ids[1] }, Ids(await GetAsync(client, $"tag={tag}&q=method%3Dlora&sort=training.seed&dir=desc&pageSize=2")));
    }

    [Fact]
    public async Task Archiving_removes_a_run_from_lists_and_boards_and_restoring_brings_it_back()
    {
        var (tag, ids) = await PlantAsync();
        using var client = web.WithApiKey();
        const string board = "shapesworld.object-count.fog.classification.accuracy";
        async Task<int> SeedsOnBoard()
        {
            var ranking = await client.GetFromJsonAsync<JsonElement>($"/api/leaderboards/{board}?limit=1000");
            return ranking.GetProperty("entries").EnumerateArray().Where(e => e.GetProperty("configurationHash").GetString() == $"{tag}-lora")
                .Select(e => e.GetProperty("seeds").GetInt32()).SingleOrDefault();
        }
        Assert.Equal(3, await SeedsOnBoard());

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/experiments/{ids[2]}/archive", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/experiments/{ids[2]}/archive", null)).StatusCode); // idempotent
        Assert.DoesNotContain(ids[2], Ids(await GetAsync(client, $"tag={tag}")));
        Assert.Equal(new[] { ids[2] }, Ids(await GetAsync(client, $"tag={tag}&archived=only")));
        Assert.Equal(5, Ids(await GetAsync(client, $"tag={tag}&archived=include")).Count);
        Assert.Equal(2, await SeedsOnBoard());
        // Still in the database: its page reads it.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/experiments/{ids[2]}")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/experiments/{ids[2]}/restore", null)).StatusCode);
        Assert.Contains(ids[2], Ids(await GetAsync(client, $"tag={tag}")));
        Assert.Equal(3, await SeedsOnBoard());

        // A run that has not ended cannot be archived; an unknown one is 404.
        await using (var db = web.Db())
        {
            var queued = PlantedExperiments.Add(db, $"{tag}-queued", 1, T0, tags: [tag]);
            queued.Status = AdapterLab.Contracts.Lifecycle.ExperimentStatus.Queued;
            await db.SaveChangesAsync();
            Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync($"/api/experiments/{queued.Id}/archive", null)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"/api/experiments/{Guid.NewGuid()}/archive", null)).StatusCode);
    }

    [Fact]
    public async Task The_csv_export_holds_the_view_with_its_columns()
    {
        var (tag, ids) = await PlantAsync();
        using var client = web.WithApiKey();
        var response = await client.GetAsync($"/api/experiments/export.csv?tag={tag}&q=method%3Dlora&sort=test.classification.fog.accuracy&columns=test.classification.fog.accuracy,training.seed");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith("test.classification.fog.accuracy,training.seed", lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith(ids[2].ToString(), lines[1]);
        Assert.EndsWith(",0.8,3", lines[1].TrimEnd('\r'));
    }

    [Theory]
    [InlineData("q=test.accuracy%20%3E", "q")]
    [InlineData("q=params%20%3E%20many", "q")]
    [InlineData("q=colour%3Dred", "q")]
    [InlineData("columns=test.accuracy", "columns")]
    [InlineData("sort=test.accuracy", "sort")]
    [InlineData("sort=name%3B%20DROP", "sort")]
    [InlineData("archived=maybe", "archived")]
    [InlineData("dir=sideways", "dir")]
    public async Task Bad_parameters_are_400s_naming_the_parameter(string query, string field)
    {
        using var client = web.WithApiKey();
        foreach (var path in new[] { "/api/experiments?", "/api/experiments/export.csv?" })
        {
            var response = await client.GetAsync(path + query);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{query}: {problem}");
        }
    }

    [Fact]
    public async Task Saved_views_are_kept_per_owner_and_validated()
    {
        using var client = web.WithApiKey();
        var name = "view-" + Guid.NewGuid().ToString("N")[..6];
        Assert.Equal(HttpStatusCode.NoContent, (await client.PutAsJsonAsync($"/api/runs/views/{name}", new { query = "?q=tag%3Ademo&cols=params" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PutAsJsonAsync($"/api/runs/views/{name}", new { query = "q=tag%3Ademo2" })).StatusCode);
        var views = await client.GetFromJsonAsync<JsonElement>("/api/runs/views");
        Assert.Equal("q=tag%3Ademo2", views.EnumerateArray().Single(v => v.GetProperty("name").GetString() == name).GetProperty("query").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PutAsJsonAsync($"/api/runs/views/{name}", new { query = new string('x', 5000) })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PutAsJsonAsync($"/api/runs/views/{name}", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/runs/views/{name}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"/api/runs/views/{name}")).StatusCode);

        // The column catalogue lists the metrics that exist.
        await PlantAsync();
        var columns = await client.GetFromJsonAsync<JsonElement>("/api/runs/columns");
        Assert.Contains(columns.EnumerateArray(), c => c.GetProperty("key").GetString() == "test.classification.fog.accuracy");
    }
}
