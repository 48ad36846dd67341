using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Web;

/// <summary><c>GET /api/experiments</c> keyset paging: cursors forward and back, ties on submission time, filters, 400s.</summary>
public sealed class ExperimentListPagingTests(WebAppFixture web) : IClassFixture<WebAppFixture>
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Seven experiments under a fresh tag, two of them submitted at the same instant (the id breaks the tie).</summary>
    private async Task<(string Tag, List<Guid> NewestFirst)> PlantAsync()
    {
        var tag = "paging-" + Guid.NewGuid().ToString("N")[..8];
        await using (var db = web.Db())
        {
            foreach (var minutes in new[] { 0, 1, 2, 2, 3, 4, 5 })
                PlantedExperiments.Add(db, $"{tag}-cfg", 1, T0.AddMinutes(minutes), tags: [tag]);
            await db.SaveChangesAsync();
        }
        await using var read = web.Db();
        // The order PostgreSQL gives (submitted_at, id) descending: what the API must follow.
        var order = await read.Experiments.Where(e => e.Tags.Contains(tag))
            .OrderByDescending(e => e.SubmittedAt).ThenByDescending(e => e.Id).Select(e => e.Id).ToListAsync();
        return (tag, order);
    }

    private static List<Guid> Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToList();

    private static string? Cursor(JsonElement page, string name) =>
        page.GetProperty(name).ValueKind == JsonValueKind.String ? page.GetProperty(name).GetString() : null;

    [Fact]
    public async Task Next_cursors_walk_every_experiment_once_newest_first_and_previous_cursors_walk_back()
    {
        var (tag, expected) = await PlantAsync();
        using var client = web.WithApiKey();

        var pages = new List<JsonElement>();
        var page = await client.GetFromJsonAsync<JsonElement>($"/api/experiments?tag={tag}&pageSize=3");
        Assert.Equal(1, page.GetProperty("page").GetInt32());
        Assert.Equal(7, page.GetProperty("total").GetInt32());
        Assert.False(page.GetProperty("totalIsEstimate").GetBoolean());
        Assert.Null(Cursor(page, "previousCursor"));
        pages.Add(page);
        while (Cursor(page, "nextCursor") is { } next)
        {
            page = await client.GetFromJsonAsync<JsonElement>($"/api/experiments?tag={tag}&pageSize=3&cursor={Uri.EscapeDataString(next)}");
            Assert.Equal(JsonValueKind.Null, page.GetProperty("page").ValueKind);
            pages.Add(page);
        }
        Assert.Equal([3, 3, 1], pages.Select(p => Ids(p).Count));
        Assert.Equal(expected, pages.SelectMany(Ids));

        // Back from the last page: the same pages in reverse, the first one again without a previous cursor.
        var back = pages[^1];
        for (int i = pages.Count - 2; i >= 0; i--)
        {
            var previous = Cursor(back, "previousCursor");
            Assert.NotNull(previous);
            back = await client.GetFromJsonAsync<JsonElement>($"/api/experiments?tag={tag}&pageSize=3&cursor={Uri.EscapeDataString(previous)}");
            Assert.Equal(Ids(pages[i]), Ids(back));
        }
        Assert.Null(Cursor(back, "previousCursor"));
        Assert.NotNull(Cursor(back, "nextCursor"));

        // Offset paging still works and hands out a cursor to continue from.
        var second = await client.GetFromJsonAsync<JsonElement>($"/api/experiments?tag={tag}&pageSize=3&page=2");
        Assert.Equal(Ids(pages[1]), Ids(second));
        var third = await client.GetFromJsonAsync<JsonElement>($"/api/experiments?tag={tag}&pageSize=3&cursor={Uri.EscapeDataString(Cursor(second, "nextCursor")!)}");
        Assert.Equal(Ids(pages[2]), Ids(third));
    }

    [Fact]
    public async Task A_cursor_carries_over_filters_and_the_task_and_domain_filters_apply()
    {
        var (tag, expected) = await PlantAsync();
        using var client = web.WithApiKey();
        var first = await client.GetFromJsonAsync<JsonElement>($"/api/experiments?tag={tag}&domain=fog&task=classification&method=linear-probe&pageSize=5");
        Assert.Equal(7, first.GetProperty("total").GetInt32());
        var rest = await client.GetFromJsonAsync<JsonElement>(
            $"/api/experiments?tag={tag}&domain=fog&task=classification&method=linear-probe&pageSize=5&cursor={Uri.EscapeDataString(Cursor(first, "nextCursor")!)}");
        Assert.Equal(expected, Ids(first).Concat(Ids(rest)));
        Assert.Null(Cursor(rest, "nextCursor"));

        foreach (var filter in new[] { "task=segmentation", "domain=noisy-photo", "method=bitfit" })
            Assert.Equal(0, (await client.GetFromJsonAsync<JsonElement>($"/api/experiments?tag={tag}&{filter}")).GetProperty("total").GetInt32());
        // The source domain counts as well as the target domains.
        Assert.Equal(7, (await client.GetFromJsonAsync<JsonElement>($"/api/experiments?tag={tag}&domain=textured")).GetProperty("total").GetInt32());
    }

    [Theory]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("cursor={valid}&sort=priority", "cursor")]
    [InlineData("cursor={valid}&page=2", "page")]
    [InlineData("cursor={ascending}", "cursor")]
    public async Task A_bad_cursor_is_a_400_naming_the_field(string query, string field)
    {
        var (tag, _) = await PlantAsync();
        using var client = web.WithApiKey();
        var valid = Cursor(await client.GetFromJsonAsync<JsonElement>($"/api/experiments?tag={tag}&pageSize=2"), "nextCursor")!;
        var ascending = new AdapterLab.Web.Dashboard.ExperimentCursor(T0, Guid.NewGuid(), Descending: false).Encode();
        query = query.Replace("{valid}", Uri.EscapeDataString(valid)).Replace("{ascending}", ascending);
        using var response = await client.GetAsync($"/api/experiments?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"expected errors.{field} in {problem}");
    }
}
