using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace AdapterLab.IntegrationTests.Web;

/// <summary>
/// The run page's lab notebook through <c>PATCH /api/experiments/{id}</c> on real PostgreSQL: the owner edits name, tags
/// and notes, each change audited with its actor (and nothing written when nothing changed); the new tags are what the
/// runs table filters by; another researcher and a viewer are refused; bad input names its field.
/// </summary>
public sealed class NotebookApiTests(WebAppFixture web) : IClassFixture<WebAppFixture>
{
    private async Task<HttpClient> KeyAsync(string name, params string[] scopes)
    {
        using var admin = web.WithApiKey();
        using var created = await admin.PostAsJsonAsync("/api/keys", new { name, scopes });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return web.WithApiKey((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!);
    }

    private static async Task<Guid> SubmitAsync(HttpClient client)
    {
        using var response = await client.PostAsync("/api/experiments", new StringContent(WebTestSpecs.AdaptFormer, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private static Task<HttpResponseMessage> PatchAsync(HttpClient client, Guid id, string json) =>
        client.PatchAsync($"/api/experiments/{id}", new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task The_owner_edits_name_tags_and_notes_and_every_change_is_audited()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        using var owner = await KeyAsync("nb-owner-" + suffix, "read", "experiments:write");
        var id = await SubmitAsync(owner);
        var tag = "nb-" + suffix;

        using (var r = await PatchAsync(owner, id, JsonSerializer.Serialize(new { name = "  renamed run  ", tags = new[] { tag, " second ", tag }, notes = "# Why\r\nTo see if *d̂ = 8* is enough." })))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            var e = await r.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("renamed run", e.GetProperty("name").GetString());
            Assert.Equal([tag, "second"], e.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
            Assert.Equal("# Why\nTo see if *d̂ = 8* is enough.", e.GetProperty("notes").GetString());
        }
        // Only the notes again, unchanged name and tags left out: one more audit row; the same edit again: none.
        using (var r = await PatchAsync(owner, id, """{"notes": "Done: it was."}""")) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await PatchAsync(owner, id, """{"notes": "Done: it was.", "name": "renamed run"}""")) Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        var edits = await owner.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}/edits");
        var rows = edits.EnumerateArray().Select(x => (Field: x.GetProperty("field").GetString(), Old: x.GetProperty("oldValue").GetString(), New: x.GetProperty("newValue").GetString(), Actor: x.GetProperty("actor").GetString())).ToList();
        Assert.Equal(["name", "tags", "notes", "notes"], rows.Select(x => x.Field));
        Assert.Equal("renamed run", rows[0].New);
        Assert.Equal($"[\"{tag}\",\"second\"]", rows[1].New);
        Assert.Equal("Done: it was.", rows[3].New);
        Assert.Equal("# Why\nTo see if *d̂ = 8* is enough.", rows[3].Old);
        Assert.All(rows, x => Assert.Equal("apikey:nb-owner-" + suffix, x.Actor));

        // The runs table filters by the edited tags.
        var page = await owner.GetFromJsonAsync<JsonElement>("/api/experiments?q=" + Uri.EscapeDataString($"tag:{tag} and tag:second"));
        Assert.Equal([id], page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()));

        // Clearing: an empty name and notes, no tags.
        using (var r = await PatchAsync(owner, id, """{"name": "", "tags": [], "notes": "  "}"""))
        {
            var e = await r.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(JsonValueKind.Null, e.GetProperty("name").ValueKind);
            Assert.Equal(0, e.GetProperty("tags").GetArrayLength());
            Assert.Equal(JsonValueKind.Null, e.GetProperty("notes").ValueKind);
        }
    }

    [Fact]
    public async Task Others_are_refused_and_bad_edits_name_their_field()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        using var owner = await KeyAsync("nb-a-" + suffix, "read", "experiments:write");
        using var other = await KeyAsync("nb-b-" + suffix, "read", "experiments:write");
        using var viewer = await KeyAsync("nb-v-" + suffix, "read");
        var id = await SubmitAsync(owner);

        using (var r = await PatchAsync(other, id, """{"notes": "not mine"}""")) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await PatchAsync(viewer, id, """{"notes": "not mine"}""")) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await PatchAsync(owner, Guid.NewGuid(), """{"notes": "x"}""")) Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        // An admin may edit anyone's notebook.
        using (var admin = web.WithApiKey())
        using (var r = await PatchAsync(admin, id, """{"notes": "admin was here"}""")) Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        var bad = new (string Json, string Field)[]
        {
            (JsonSerializer.Serialize(new { name = new string('n', 201) }), "name"),
            ("""{"name": "two\nlines"}""", "name"),
            (JsonSerializer.Serialize(new { tags = Enumerable.Range(0, 33).Select(i => $"t{i}") }), "tags"),
            ("""{"tags": ["ok", " "]}""", "tags[1]"),
            (JsonSerializer.Serialize(new { tags = new[] { new string('t', 65) } }), "tags[0]"),
            (JsonSerializer.Serialize(new { notes = new string('x', 50_001) }), "notes"),
            ("""{"notes": 5}""", "notes"),
            ("""{"status": "Succeeded"}""", "status"),
            ("""{"notes": """, "notes"),       // cut off where the notes should be
            ("null", "body"),
        };
        foreach (var (json, field) in bad)
        {
            using var r = await PatchAsync(owner, id, json);
            var body = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"{json[..Math.Min(40, json.Length)]}: {(int)r.StatusCode} {body}");
            Assert.True(body.Contains($"\"{field}\""), $"{json[..Math.Min(40, json.Length)]}: expected {field} in {body}");
        }
        // A body past the limit is a 413, not a crash.
        using (var r = await PatchAsync(owner, id, JsonSerializer.Serialize(new { notes = new string('x', 300_000) })))
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        // None of it changed the notes.
        var e = await owner.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}");
        Assert.Equal("admin was here", e.GetProperty("notes").GetString());
    }
}
