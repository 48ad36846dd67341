using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AdapterLab.IntegrationTests.Adaptation;
using AdapterLab.IntegrationTests.Infrastructure;

namespace AdapterLab.IntegrationTests.Serving;

/// <summary>
/// One backbone, many adapters, through the whole platform: two adapters (LoRA and VPT) trained on a folder dataset by the
/// real agent are registered, an inference host with its own <c>models:serve</c> key loads them, and
/// <c>POST /api/models/{name}/predict</c> answers every test image exactly as the experiment's own final evaluation did
/// (its stored per-example predictions and probabilities); requests for both adapters are served together; viewers may
/// predict; unknown models, undecodable or oversized images and paths outside the data root get their clear errors; the
/// serving key reads registered blobs and nothing else.
/// </summary>
[Collection(SharedPlatformCollection.Name)]
public sealed class ServingThroughThePlatform(SharedPlatform platform)
{
    [Fact]
    public async Task Registered_adapters_predict_what_their_evaluation_predicted_and_bad_requests_get_clear_errors()
    {
        var dataRoot = platform.Settings["Platform:DataRoot"]!;
        var dataset = "serve-" + Guid.NewGuid().ToString("N")[..8];
        var random = new Random(11);
        foreach (var (name, colour) in new[] { ("dark", (byte)50), ("light", (byte)200), ("mid", (byte)125) })
        {
            Directory.CreateDirectory(Path.Combine(dataRoot, dataset, name));
            for (int i = 0; i < 24; i++)
            {
                int w = 20 + random.Next(24), h = 20 + random.Next(24);
                var rgb = Enumerable.Range(0, w * h * 3).Select(_ => (byte)Math.Clamp(colour + random.Next(-60, 61), 0, 255)).ToArray();
                File.WriteAllBytes(Path.Combine(dataRoot, dataset, name, $"{i:D2}.png"), TinyPng.Encode(rgb, w, h));
            }
        }
        var trained = new Dictionary<string, Guid>();
        foreach (var method in new[] { "lora", "vpt-deep" })
            trained[method] = await platform.SubmitAsync(new
            {
                specVersion = 1, name = $"serve {method}", kind = "adapt",
                backbone = new { preset = "vit-tiny-ci", source = "named", name = platform.BackboneName },
                method = method == "lora" ? (object)new { name = method, rank = 4 } : new { name = method, promptTokens = 3 },
                tasks = new[] { "classification" },
                data = new { dataset = "folder", path = dataset },
                training = new { steps = 6, batchSize = 16 },
            });
        foreach (var id in trained.Values) await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(4));

        var names = trained.ToDictionary(t => t.Key, t => $"{dataset}-{t.Key}");
        foreach (var (method, id) in trained)
        {
            using var r = await platform.Api.PostAsJsonAsync("/api/models", new { name = names[method], experimentId = id });
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }
        using (var r = await platform.Api.PostAsync($"/api/models/{names["lora"]}/versions/1/stage", new StringContent("""{"stage":"production"}""", Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        // Before an inference host exists, prediction says so.
        using (var r = await platform.Api.PostAsJsonAsync($"/api/models/{names["lora"]}/predict", new { paths = new[] { $"{dataset}/dark/00.png" } }))
            Assert.True(r.StatusCode == HttpStatusCode.ServiceUnavailable, await r.Content.ReadAsStringAsync());
        await platform.StartInferenceAsync(new() { ["Inference:BatchWindowMilliseconds"] = "200" });

        // Every test image of each model, by path: the evaluation's own predictions and probabilities.
        foreach (var (method, id) in trained)
        {
            var stored = (await platform.Api.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}/predictions")).GetProperty("sets").EnumerateArray()
                .Single(s => s.GetProperty("split").GetString() == "test" && s.GetProperty("predictor").GetString() == "model");
            var ids = stored.GetProperty("exampleIds").EnumerateArray().Select(e => e.GetString()!).ToList();
            Assert.NotEmpty(ids);
            var version = method == "lora" ? "" : "?version=latest";
            using var r = await platform.Api.PostAsJsonAsync($"/api/models/{names[method]}/predict{version}", new { paths = ids.Select(x => $"{dataset}/{x}").ToArray() });
            var body = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode == HttpStatusCode.OK, body);
            var answer = JsonDocument.Parse(body).RootElement;
            Assert.Equal(["dark", "light", "mid"], answer.GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
            var predictions = answer.GetProperty("predictions").EnumerateArray().ToList();
            for (int i = 0; i < ids.Count; i++)
            {
                Assert.Equal(stored.GetProperty("predicted")[i].GetInt32(), predictions[i].GetProperty("predictedIndex").GetInt32());
                Assert.Equal(ids[i].Split('/')[0], predictions[i].GetProperty("label").GetString());
                var want = stored.GetProperty("probabilities")[i].EnumerateArray().Select(p => p.GetDouble()).ToArray();
                var got = predictions[i].GetProperty("probabilities").EnumerateArray().Select(p => p.GetDouble()).ToArray();
                Assert.Equal(want.Length, got.Length);
                for (int c = 0; c < want.Length; c++) Assert.True(Math.Abs(want[c] - got[c]) < 1e-5, $"{method} {ids[i]} class {c}: {got[c]} vs stored {want[c]}");
            }
        }

        // Both adapters at once, uploaded images, a viewer's key: served, each with its own classes' probabilities.
        using var viewerKey = await platform.Api.PostAsJsonAsync("/api/keys", new { name = "serve-viewer-" + dataset, scopes = new[] { "read" } });
        using var viewer = new HttpClient { BaseAddress = platform.WebAddress };
        viewer.DefaultRequestHeaders.Add("X-Api-Key", (await viewerKey.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString());
        var png = File.ReadAllBytes(Path.Combine(dataRoot, dataset, "light", "03.png"));
        var concurrent = await Task.WhenAll(names.Select(async kv =>
        {
            using var form = new MultipartFormDataContent();
            var image = new ByteArrayContent(png);
            image.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            form.Add(image, "images", "mine.png");
            using var r = await viewer.PostAsync($"/api/models/{kv.Value}/predict?version=1", form);
            return (kv.Key, r.StatusCode, Body: await r.Content.ReadAsStringAsync());
        }));
        foreach (var (method, status, body) in concurrent)
        {
            Assert.True(status == HttpStatusCode.OK, $"{method}: {body}");
            var p = JsonDocument.Parse(body).RootElement.GetProperty("predictions")[0];
            Assert.Equal("upload:mine.png", p.GetProperty("source").GetString());
            Assert.Equal(JsonValueKind.Null, p.GetProperty("label").ValueKind);
            Assert.Equal(1.0, p.GetProperty("probabilities").EnumerateArray().Sum(x => x.GetDouble()), 4);
        }

        // Clear errors.
        using (var r = await viewer.PostAsJsonAsync("/api/models/no-such-model/predict", new { paths = new[] { "x.png" } }))
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        using (var r = await viewer.PostAsJsonAsync($"/api/models/{names["vpt-deep"]}/predict", new { paths = new[] { "x.png" } }))
            Assert.Contains("no version of", (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()); // none in production
        await AssertFieldErrorAsync(viewer, names["lora"], Upload(Encoding.UTF8.GetBytes("this is not a png")), HttpStatusCode.BadRequest, "images[0]");
        await AssertFieldErrorAsync(viewer, names["lora"], Upload(new byte[5 * 1024 * 1024]), HttpStatusCode.RequestEntityTooLarge, null);
        await AssertFieldErrorAsync(viewer, names["lora"], JsonContent.Create(new { paths = new[] { "../../etc/passwd" } }), HttpStatusCode.BadRequest, "paths[0]");
        await AssertFieldErrorAsync(viewer, names["lora"], JsonContent.Create(new { paths = new[] { $"{dataset}/dark/missing.png" } }), HttpStatusCode.BadRequest, "paths[0]");
        await AssertFieldErrorAsync(viewer, names["lora"], JsonContent.Create(new { paths = Array.Empty<string>() }), HttpStatusCode.BadRequest, "images");
        await AssertFieldErrorAsync(viewer, names["lora"], JsonContent.Create(new { paths = Enumerable.Repeat($"{dataset}/dark/00.png", 33).ToArray() }), HttpStatusCode.BadRequest, "images");
        await AssertFieldErrorAsync(viewer, names["lora"], JsonContent.Create(new { files = 1 }), HttpStatusCode.BadRequest, "files");
    }

    [Fact]
    public async Task A_registered_multitask_model_answers_every_tasks_map_for_an_uploaded_image()
    {
        var id = await platform.SubmitAsync(new
        {
            specVersion = 1, name = "serve dense", kind = "multitask",
            backbone = new { preset = "vit-tiny-ci", source = "named", name = platform.BackboneName },
            method = new { name = "vtagml", adapterBlocks = 1 },
            tasks = new[] { "segmentation", "depth", "normals", "edges" },
            data = new { setting = "multitask", trainSize = 16, validationSize = 4, testSize = 4 },
            training = new { steps = 3, batchSize = 4 },
        });
        await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(4));
        var name = "dense-" + Guid.NewGuid().ToString("N")[..6];
        using (var r = await platform.Api.PostAsJsonAsync("/api/models", new { name, experimentId = id }))
            Assert.True(r.StatusCode == HttpStatusCode.Created, await r.Content.ReadAsStringAsync());
        await platform.StartInferenceAsync();

        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(TinyPng.Encode(Enumerable.Range(0, 40 * 30 * 3).Select(i => (byte)(i * 7 % 251)).ToArray(), 40, 30)), "images", "scene.png");
        using var response = await platform.Api.PostAsync($"/api/models/{name}/predict?version=latest", form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var answer = JsonDocument.Parse(body).RootElement;
        Assert.Equal("dense", answer.GetProperty("kind").GetString());
        Assert.Equal("vtagml", answer.GetProperty("method").GetString());
        Assert.Equal(["segmentation", "depth", "normals", "edges"], answer.GetProperty("tasks").EnumerateArray().Select(t => t.GetString()));
        var classes = answer.GetProperty("classes").GetArrayLength();
        var maps = answer.GetProperty("dense")[0].GetProperty("maps");
        foreach (var task in new[] { "segmentation", "depth", "normals", "edges" })
        {
            var map = maps.GetProperty(task);
            int c = map.GetProperty("channels").GetInt32(), h = map.GetProperty("height").GetInt32(), w = map.GetProperty("width").GetInt32();
            var values = map.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(task == "normals" ? 3 : 1, c);
            Assert.Equal(c * h * w, values.Length);
            Assert.StartsWith("data:image/png;base64,", map.GetProperty("png").GetString());
            var png = Convert.FromBase64String(map.GetProperty("png").GetString()!["data:image/png;base64,".Length..]);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
            switch (task)
            {
                case "segmentation": Assert.All(values, v => Assert.True(v == Math.Floor(v) && v >= 0 && v < classes, $"class {v}")); break;
                case "depth": Assert.All(values, v => Assert.True(v > 0 && double.IsFinite(v), $"depth {v}")); break;
                case "edges": Assert.All(values, v => Assert.InRange(v, 0, 1)); break;
                case "normals":
                    for (int i = 0; i < h * w; i++)
                        Assert.Equal(1.0, Math.Sqrt(values[i] * values[i] + values[h * w + i] * values[h * w + i] + values[2 * h * w + i] * values[2 * h * w + i]), 3);
                    break;
            }
        }
    }

    [Fact]
    public async Task The_serving_key_reads_registered_blobs_and_nothing_else_and_the_inference_host_answers_only_the_web()
    {
        using var created = await platform.Api.PostAsJsonAsync("/api/keys", new { name = "serve-only-" + Guid.NewGuid().ToString("N")[..6], scopes = new[] { "models:serve" } });
        using var serve = new HttpClient { BaseAddress = platform.WebAddress };
        serve.DefaultRequestHeaders.Add("X-Api-Key", (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await serve.GetAsync("/api/experiments")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await serve.GetAsync("/api/models")).StatusCode);
        string pretrainOutput;
        await using (var db = platform.Db())
            pretrainOutput = (await db.Experiments.FindAsync(platform.PretrainId))!.OutputBlob!;
        using (var r = await serve.GetAsync($"/api/serving/blobs/{pretrainOutput}")) Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        using (var r = await serve.GetAsync("/api/serving/blobs/not-a-hash")) Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        using (var r = await platform.Api.GetAsync("/api/serving/models/x/versions/1")) Assert.Equal(HttpStatusCode.NotFound, r.StatusCode); // admin may; there is none

        var host = await platform.StartInferenceAsync();
        using var direct = new HttpClient { BaseAddress = new Uri(host.Urls.First()) };
        using var form = new MultipartFormDataContent { { new StringContent("m"), "model" }, { new StringContent("1"), "version" } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await direct.PostAsync("/predict", form)).StatusCode);
    }

    [Fact]
    public async Task An_exported_adapter_imports_as_a_version_that_predicts_the_same_and_mismatched_files_are_refused()
    {
        var id = await platform.SubmitAsync(new
        {
            specVersion = 1, name = "serve import", kind = "adapt",
            backbone = new { preset = "vit-tiny-ci", source = "named", name = platform.BackboneName },
            method = new { name = "bitfit" },
            tasks = new[] { "classification" },
            data = new { labelFamily = "object-count", sourceDomain = "textured" },
            training = new { steps = 3, batchSize = 16 },
        });
        var done = await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(4));
        var spec = done.GetProperty("spec").GetRawText();
        var suffix = Guid.NewGuid().ToString("N")[..6];
        using (var r = await platform.Api.PostAsJsonAsync("/api/models", new { name = "original-" + suffix, experimentId = id })) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var adapter = await platform.Api.GetByteArrayAsync($"/api/models/original-{suffix}/versions/1/weights?include=adapters");

        MultipartFormDataContent Import(byte[] file, string specJson)
        {
            var form = new MultipartFormDataContent { { new StringContent(specJson), "spec" } };
            form.Add(new ByteArrayContent(file), "file", "adapter.safetensors");
            return form;
        }
        using (var r = await platform.Api.PostAsync($"/api/models/imported-{suffix}/versions", Import(adapter, spec)))
        {
            var body = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode == HttpStatusCode.Created, body);
            var v = JsonDocument.Parse(body).RootElement;
            Assert.Equal(JsonValueKind.Null, v.GetProperty("sourceExperimentId").ValueKind);
            Assert.Equal(done.GetProperty("trainableParameters").GetInt64(), v.GetProperty("trainableParameters").GetInt64());
        }
        await platform.StartInferenceAsync();
        var png = TinyPng.Encode(Enumerable.Range(0, 32 * 32 * 3).Select(i => (byte)(i * 13 % 255)).ToArray(), 32, 32);
        async Task<double[]> PredictAsync(string model)
        {
            using var form = new MultipartFormDataContent();
            form.Add(new ByteArrayContent(png), "images", "x.png");
            using var r = await platform.Api.PostAsync($"/api/models/{model}/predict?version=1", form);
            var body = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode == HttpStatusCode.OK, body);
            return JsonDocument.Parse(body).RootElement.GetProperty("predictions")[0].GetProperty("probabilities").EnumerateArray().Select(p => p.GetDouble()).ToArray();
        }
        Assert.Equal(await PredictAsync("original-" + suffix), await PredictAsync("imported-" + suffix));

        // A file that is not what its spec says is refused, naming the field; nothing is registered.
        string With(string method) => spec.Replace("\"bitfit\"", $"\"{method}\"");
        await AssertRefusedAsync(platform.Api, $"/api/models/refused-{suffix}/versions", Import(adapter, With("lora")), HttpStatusCode.BadRequest, "file");
        await AssertRefusedAsync(platform.Api, $"/api/models/refused-{suffix}/versions", Import(adapter, With("full-finetune")), HttpStatusCode.BadRequest, "spec.method.name");
        await AssertRefusedAsync(platform.Api, $"/api/models/refused-{suffix}/versions", Import(adapter, spec.Replace(platform.BackboneName, "no-such-backbone")), HttpStatusCode.BadRequest, "spec.backbone.name");
        await AssertRefusedAsync(platform.Api, $"/api/models/refused-{suffix}/versions", Import("not safetensors"u8.ToArray(), spec), HttpStatusCode.BadRequest, "file");
        await AssertRefusedAsync(platform.Api, $"/api/models/refused-{suffix}/versions", Import(adapter, "{\"kind\": 5}"), HttpStatusCode.BadRequest, "spec.kind");
        using (var r = await platform.Api.GetAsync($"/api/models/refused-{suffix}")) Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
    }

    private static MultipartFormDataContent Upload(byte[] bytes)
    {
        var form = new MultipartFormDataContent();
        var image = new ByteArrayContent(bytes);
        image.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(image, "images", "upload.png");
        return form;
    }

    private static Task AssertFieldErrorAsync(HttpClient client, string model, HttpContent content, HttpStatusCode status, string? field) =>
        AssertRefusedAsync(client, $"/api/models/{model}/predict", content, status, field);

    private static async Task AssertRefusedAsync(HttpClient client, string url, HttpContent content, HttpStatusCode status, string? field)
    {
        using (content)
        using (var r = await client.PostAsync(url, content))
        {
            var body = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode == status, $"expected {(int)status}, got {(int)r.StatusCode}: {body}");
            if (field is not null)
                Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty(field, out _), $"expected an error on '{field}': {body}");
        }
    }
}
