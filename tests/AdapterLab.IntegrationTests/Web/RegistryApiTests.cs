using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Safetensors;
using AdapterLab.Data.Blobs;
using AdapterLab.Data.Entities;
using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Web;

/// <summary>
/// The model registry through <c>/api/models</c> on real PostgreSQL: registration binds a succeeded experiment's adapter
/// blob to its backbone blob with lineage (metrics with intervals and floors from its stored predictions), versions number
/// themselves, stages move with an audited history and one production version, two versions diff, a version exports;
/// viewers read but cannot register or promote, another researcher cannot touch someone's model, bad input names its field.
/// </summary>
public sealed class RegistryApiTests(WebAppFixture web) : IClassFixture<WebAppFixture>
{
    private async Task<HttpClient> KeyAsync(string name, params string[] scopes)
    {
        using var admin = web.WithApiKey();
        using var created = await admin.PostAsJsonAsync("/api/keys", new { name, scopes });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return web.WithApiKey((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!);
    }

    /// <summary>A succeeded experiment of <paramref name="method"/> with real safetensors output and backbone blobs and stored predictions.</summary>
    private async Task<(Guid Id, string Adapter, string Backbone)> PlantAsync(string method = "adaptformer", int seed = 1, bool withBackbone = true, ExperimentStatus status = ExperimentStatus.Succeeded)
    {
        var blobs = new BlobStore(TestHelpers.DbFactory(web.Db));
        string backbone = await PutAsync(blobs, [SafetensorsTensor.FromFloat32("blocks.0.mlp.fc1.weight", [2, 2], [1, 2, 3, seed])]);
        string adapter = await PutAsync(blobs, [SafetensorsTensor.FromFloat32("head.weight", [1, 2], [seed, 0.5f])]);
        await using var db = web.Db();
        var e = PlantedExperiments.Add(db, "registry-" + Guid.NewGuid().ToString("N")[..8], seed, DateTimeOffset.UtcNow,
            new Dictionary<string, double> { ["fog"] = 0.6 + seed / 100.0 }, method: method);
        e.Status = status;
        e.OutputBlob = status == ExperimentStatus.Succeeded ? adapter : null;
        if (withBackbone)
            db.Attempts.Add(new Attempt
            {
                ExperimentId = e.Id, Number = 1, AgentId = "agent-x", Status = status, DispatchedAt = DateTimeOffset.UtcNow,
                LeaseExpiresAt = DateTimeOffset.UtcNow, BackboneBlob = backbone,
            });
        await PlantedExperiments.PlantPredictionsAsync(db, blobs, e, "fog", 0.6 + seed / 100.0);
        await db.SaveChangesAsync();
        return (e.Id, adapter, backbone);
    }

    private static async Task<string> PutAsync(BlobStore blobs, SafetensorsTensor[] tensors)
    {
        using var buffer = new MemoryStream();
        SafetensorsWriter.Write(buffer, tensors, new Dictionary<string, string> { ["method"] = "adaptformer" });
        buffer.Position = 0;
        return (await blobs.PutAsync(buffer, null, CancellationToken.None)).Hash;
    }

    private static Task<HttpResponseMessage> RegisterAsync(HttpClient client, object body) =>
        client.PostAsync("/api/models", new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));

    private static Task<HttpResponseMessage> StageAsync(HttpClient client, string model, int version, string json) =>
        client.PostAsync($"/api/models/{model}/versions/{version}/stage", new StringContent(json, Encoding.UTF8, "application/json"));

    private static async Task<JsonElement> Json(HttpResponseMessage r) => await r.Content.ReadFromJsonAsync<JsonElement>();

    [Fact]
    public async Task Versions_register_with_lineage_move_through_stages_with_an_audited_history_diff_and_export()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        string model = "shapes-counter-" + suffix;
        using var owner = await KeyAsync("reg-owner-" + suffix, "read", "experiments:write");
        var first = await PlantAsync(seed: 1);
        var second = await PlantAsync(seed: 2);

        JsonElement v1;
        using (var r = await RegisterAsync(owner, new { name = model, experimentId = first.Id, description = "counts objects" }))
        {
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            Assert.Equal($"/api/models/{model}/versions/1", r.Headers.Location!.OriginalString);
            v1 = await Json(r);
        }
        Assert.Equal(1, v1.GetProperty("version").GetInt32());
        Assert.Equal("candidate", v1.GetProperty("stage").GetString());
        Assert.Equal(first.Adapter, v1.GetProperty("adapterBlob").GetString());
        Assert.Equal(first.Backbone, v1.GetProperty("backboneBlob").GetString());
        Assert.Equal(first.Id, v1.GetProperty("sourceExperimentId").GetGuid());
        Assert.Equal("apikey:reg-owner-" + suffix, v1.GetProperty("registeredBy").GetString());
        Assert.Equal("adaptformer", v1.GetProperty("spec").GetProperty("method").GetProperty("name").GetString());
        // Lineage metrics: the test accuracy with its interval over the 400 stored test examples, and the majority floor on them.
        var metric = v1.GetProperty("metrics").EnumerateArray().Single();
        Assert.Equal(("test", "fog", "accuracy"), (metric.GetProperty("split").GetString(), metric.GetProperty("domain").GetString(), metric.GetProperty("metric").GetString()));
        Assert.Equal(0.61, metric.GetProperty("value").GetDouble(), 9);
        double lower = metric.GetProperty("lower").GetDouble(), upper = metric.GetProperty("upper").GetDouble();
        Assert.InRange(lower, 0.55, 0.60);
        Assert.InRange(upper, 0.62, 0.67);
        Assert.Equal(400, metric.GetProperty("examples").GetInt32());
        Assert.Equal(0.25, metric.GetProperty("floors").GetProperty("floor:majority-class").GetDouble(), 9);

        // The same experiment again: its existing version, nothing new.
        using (var r = await RegisterAsync(owner, new { name = model, experimentId = first.Id }))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal(1, (await Json(r)).GetProperty("version").GetInt32());
        }
        using (var r = await RegisterAsync(owner, new { name = model, experimentId = second.Id }))
        {
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            Assert.Equal(2, (await Json(r)).GetProperty("version").GetInt32());
        }

        using (var r = await StageAsync(owner, model, 1, """{"stage": "production", "comment": "first release"}""")) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await StageAsync(owner, model, 1, """{"stage": "production"}""")) Assert.Equal(HttpStatusCode.OK, r.StatusCode); // no-op, not audited
        using (var r = await StageAsync(owner, model, 2, """{"stage": "production"}""")) Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        var production = await owner.GetFromJsonAsync<JsonElement>($"/api/models/{model}/versions/production");
        Assert.Equal(2, production.GetProperty("version").GetInt32());
        var modelView = await owner.GetFromJsonAsync<JsonElement>($"/api/models/{model}");
        Assert.Equal(["production", "archived"], modelView.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("stage").GetString()));
        Assert.Equal("counts objects", modelView.GetProperty("description").GetString());

        var history = (await owner.GetFromJsonAsync<JsonElement>($"/api/models/{model}/history")).EnumerateArray()
            .Select(h => (V: h.GetProperty("version").GetInt32(), From: h.GetProperty("from").GetString(), To: h.GetProperty("to").GetString(), Comment: h.GetProperty("comment").GetString(), Actor: h.GetProperty("actor").GetString()))
            .ToList();
        Assert.Equal([(1, null, "candidate"), (2, null, "candidate"), (1, "candidate", "production"), (1, "production", "archived"), (2, "candidate", "production")],
            history.Select(h => (h.V, h.From, h.To)));
        Assert.Equal("first release", history[2].Comment);
        Assert.Equal("replaced in production by version 2", history[3].Comment);
        Assert.All(history, h => Assert.Equal("apikey:reg-owner-" + suffix, h.Actor));

        var list = (await owner.GetFromJsonAsync<JsonElement>("/api/models")).EnumerateArray().Single(m => m.GetProperty("name").GetString() == model);
        Assert.Equal((2, 2, 2), (list.GetProperty("versions").GetInt32(), list.GetProperty("latestVersion").GetInt32(), list.GetProperty("productionVersion").GetInt32()));

        var diff = await owner.GetFromJsonAsync<JsonElement>($"/api/models/{model}/diff?from=1&to=2");
        Assert.False(diff.GetProperty("sameAdapter").GetBoolean());
        var spec = diff.GetProperty("spec").EnumerateArray().Select(d => (d.GetProperty("path").GetString(), d.GetProperty("from").GetString(), d.GetProperty("to").GetString())).ToList();
        Assert.Contains(("training.seed", "1", "2"), spec);
        var accuracy = diff.GetProperty("metrics").EnumerateArray().Single();
        Assert.Equal((0.61, 0.62), (accuracy.GetProperty("from").GetDouble(), accuracy.GetProperty("to").GetDouble()));

        // Export: the adapter as stored, and merged over its backbone.
        var adapterBytes = await owner.GetByteArrayAsync($"/api/models/{model}/versions/1/weights");
        await using (var db = web.Db())
        {
            using var stored = new MemoryStream();
            await BlobStore.CopyToAsync(db, first.Adapter, stored, CancellationToken.None);
            Assert.Equal(stored.ToArray(), adapterBytes);
        }
        var full = await owner.GetByteArrayAsync($"/api/models/{model}/versions/production/weights?include=full");
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, full);
            using var reader = SafetensorsReader.Open(path);
            Assert.Equal(["blocks.0.mlp.fc1.weight", "head.weight"], reader.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
            Assert.Equal(second.Backbone, reader.Metadata["backbone_blob"]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Viewers_read_but_cannot_register_or_promote_and_others_cannot_touch_a_model_that_is_not_theirs()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        string model = "owned-" + suffix;
        using var owner = await KeyAsync("reg-a-" + suffix, "read", "experiments:write");
        using var other = await KeyAsync("reg-b-" + suffix, "read", "experiments:write");
        using var viewer = await KeyAsync("reg-v-" + suffix, "read");
        var mine = await PlantAsync();
        var theirs = await PlantAsync(seed: 3);
        using (var r = await RegisterAsync(owner, new { name = model, experimentId = mine.Id })) Assert.Equal(HttpStatusCode.Created, r.StatusCode);

        using (var r = await RegisterAsync(viewer, new { name = "viewer-" + suffix, experimentId = mine.Id })) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await StageAsync(viewer, model, 1, """{"stage": "production"}""")) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Equal(model, (await viewer.GetFromJsonAsync<JsonElement>($"/api/models/{model}")).GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync($"/api/models/{model}/versions/1/weights")).StatusCode);

        using (var r = await RegisterAsync(other, new { name = model, experimentId = theirs.Id }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
            Assert.Contains("only its owner or its project's admins", (await Json(r)).GetProperty("detail").GetString());
        }
        using (var r = await StageAsync(other, model, 1, """{"stage": "archived"}""")) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using var admin = web.WithApiKey();
        using (var r = await StageAsync(admin, model, 1, """{"stage": "archived", "comment": "superseded"}""")) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        await using var db = web.Db();
        Assert.Equal(2, await db.ModelStageChanges.CountAsync(c => c.ModelName == model));
        Assert.Equal(1, await db.ModelVersions.CountAsync(v => v.ModelName == model));
    }

    public static TheoryData<string, string> BadRegistrations => new()
    {
        { """{"experimentId": "00000000-0000-0000-0000-000000000001"}""", "name" },
        { """{"name": "Upper Case", "experimentId": "00000000-0000-0000-0000-000000000001"}""", "name" },
        { """{"name": "ok-name"}""", "experimentId" },
        { """{"name": "ok-name", "experimentId": "00000000-0000-0000-0000-000000000001"}""", "experimentId" },
        { """{"name": "ok-name", "experimentId": "not-a-guid"}""", "experimentId" },
        { """{"name": "ok-name", "experimentId": "00000000-0000-0000-0000-000000000001", "stage": "production"}""", "stage" },
        { """{"name": 5}""", "name" },
        { "not json", "body" },
        { "null", "body" },
    };

    [Theory]
    [MemberData(nameof(BadRegistrations))]
    public async Task Bad_registrations_name_their_field(string json, string field)
    {
        using var client = web.WithApiKey();
        using var r = await client.PostAsync("/api/models", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.True((await Json(r)).GetProperty("errors").TryGetProperty(field, out _), $"expected an error on '{field}'");
    }

    [Fact]
    public async Task Experiments_that_cannot_be_served_as_adapters_are_refused_with_the_reason()
    {
        using var client = web.WithApiKey();
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var cases = new (Task<(Guid Id, string, string)> Plant, string Reason)[]
        {
            (PlantAsync(method: "full-finetune"), "registers as a backbone"),
            (PlantAsync(withBackbone: false), "randomly initialised backbone"),
            (PlantAsync(status: ExperimentStatus.Running), "only a succeeded experiment"),
        };
        foreach (var (plant, reason) in cases)
        {
            var (id, _, _) = await plant;
            using var r = await RegisterAsync(client, new { name = "refused-" + suffix, experimentId = id });
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Contains(reason, (await Json(r)).GetProperty("errors").GetProperty("experimentId")[0].GetString());
        }
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/models/refused-" + suffix)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await StageAsync(client, "refused-" + suffix, 1, """{"stage": "production"}""")).StatusCode);
        using (var r = await StageAsync(client, "refused-" + suffix, 1, """{"stage": "live"}"""))
            Assert.True((await Json(r)).GetProperty("errors").TryGetProperty("stage", out _));
        using (var r = await client.GetAsync("/api/models/refused-" + suffix + "/diff?to=2"))
            Assert.True((await Json(r)).GetProperty("errors").TryGetProperty("from", out _));
        using (var r = await client.GetAsync("/api/models/refused-" + suffix + "/versions/latest/weights?include=everything"))
            Assert.True((await Json(r)).GetProperty("errors").TryGetProperty("include", out _));
    }
}
