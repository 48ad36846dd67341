using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Safetensors;
using AdapterLab.IntegrationTests.Infrastructure;

namespace AdapterLab.IntegrationTests.Weights;

/// <summary>
/// safetensors through the platform: the golden ViT fixture imports as a named backbone (its 5-class <c>head.*</c> is
/// ignored), a linear probe trains on it, and both export forms re-read; a file that does not match its preset is
/// refused with every offending tensor listed and nothing registered.
/// </summary>
[Collection(SharedPlatformCollection.Name)]
public sealed class SafetensorsImportExportThroughThePlatform(SharedPlatform platform)
{
    private static string Golden => Path.GetFullPath(Path.Combine(RepoRoot.Path, "..", "shared", "data", "vit-golden", "vit-tiny-ci-f32.safetensors"));

    private async Task<(HttpStatusCode Status, string Body)> ImportAsync(byte[] file, string name, string preset, bool multipart = false)
    {
        HttpContent content;
        if (multipart)
        {
            var form = new MultipartFormDataContent();
            var part = new ByteArrayContent(file);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, "file", "weights.safetensors");
            content = form;
        }
        else
        {
            content = new ByteArrayContent(file);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        }
        using var response = await platform.Api.PostAsync($"/api/backbones?name={Uri.EscapeDataString(name)}&preset={preset}", content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<bool> IsRegisteredAsync(string name)
    {
        var list = JsonDocument.Parse(await platform.Api.GetStringAsync("/api/backbones")).RootElement;
        return list.EnumerateArray().Any(b => b.GetProperty("name").GetString() == name);
    }

    private async Task<SafetensorsReader> ExportAsync(Guid id, string include)
    {
        using var response = await platform.Api.GetAsync($"/api/experiments/{id}/weights?include={include}");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"export {include}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(bytes)}");
        Assert.Equal(bytes.Length, response.Content.Headers.ContentLength);
        return SafetensorsReader.Open(new MemoryStream(bytes), source: $"export {include}");
    }

    [Fact]
    public async Task Golden_fixture_imports_trains_a_linear_probe_and_exports_both_forms()
    {
        Assert.True(File.Exists(Golden), $"golden fixture missing: {Golden}");
        var name = "golden-" + Guid.NewGuid().ToString("N")[..8];
        var (status, body) = await ImportAsync(File.ReadAllBytes(Golden), name, "vit-tiny-ci", multipart: true);
        Assert.True(status == HttpStatusCode.Created, body);
        var view = JsonDocument.Parse(body).RootElement;
        Assert.True(view.GetProperty("ready").GetBoolean());
        Assert.Equal("import", view.GetProperty("origin").GetString());
        Assert.True(await IsRegisteredAsync(name));
        Assert.Equal(HttpStatusCode.Conflict, (await ImportAsync(File.ReadAllBytes(Golden), name, "vit-tiny-ci")).Status);

        var probe = await platform.SubmitAsync(Specs.Adapt(name, "linear-probe", steps: 4));
        var done = await platform.WaitForStatusAsync(probe, "Succeeded", TimeSpan.FromMinutes(3));
        Assert.True(done.GetProperty("results").GetArrayLength() > 0);

        using var golden = SafetensorsReader.Open(Golden);
        using var adapters = await ExportAsync(probe, "adapters");
        Assert.Equal(["head.bias", "head.weight", "head_norm.num_batches_tracked", "head_norm.running_mean", "head_norm.running_var"],
            adapters.Tensors.Select(t => t.Name).Order());

        using var full = await ExportAsync(probe, "full");
        var names = full.Tensors.Select(t => t.Name).ToHashSet();
        var goldenBackbone = golden.Tensors.Where(t => !t.Name.StartsWith("head.")).ToList();
        Assert.Equal(goldenBackbone.Count + adapters.Tensors.Count, names.Count);
        foreach (var t in goldenBackbone)
        {
            Assert.Contains(t.Name, names);
            Assert.Equal(golden.ReadRaw(t.Name), full.ReadRaw(t.Name)); // backbone bytes unchanged (fused qkv kept)
        }
        // The probe's head (object-count classes), not the fixture's 5-class one.
        Assert.Equal(adapters.ReadRaw("head.weight"), full.ReadRaw("head.weight"));
        Assert.Equal(new long[] { 5, 96 }, golden.Info("head.weight").Shape);
        Assert.Equal(new long[] { ShapesWorldCatalogue.FindLabelFamily("object-count")!.Classes.Count, 96 }, full.Info("head.weight").Shape);
        Assert.Equal("full", full.Metadata["export"]);
    }

    [Fact]
    public async Task A_pretrain_exports_its_whole_model_and_has_no_adapters()
    {
        using var full = await ExportAsync(platform.PretrainId, "full");
        Assert.Contains(full.Tensors, t => t.Name == "head.weight");
        Assert.Equal(ModelCatalogue.Get("vit-tiny-ci").BackboneParameters(), full.Tensors.Where(t => !t.Name.StartsWith("head")).Sum(t => t.ElementCount));
        using var response = await platform.Api.GetAsync($"/api/experiments/{platform.PretrainId}/weights?include=adapters");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var bad = await platform.Api.GetAsync($"/api/experiments/{platform.PretrainId}/weights?include=everything");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using var missing = await platform.Api.GetAsync($"/api/experiments/{Guid.NewGuid()}/weights");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_mismatched_file_is_refused_listing_every_offending_tensor_and_nothing_is_registered()
    {
        var bytes = File.ReadAllBytes(Golden);

        // The right file for the wrong preset: every shape differs.
        var name = "mismatch-" + Guid.NewGuid().ToString("N")[..8];
        var (status, body) = await ImportAsync(bytes, name, "vit-lab-s");
        Assert.True(status == HttpStatusCode.BadRequest, body);
        var errors = JsonDocument.Parse(body).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty("blocks.0.mlp.fc1.weight", out _), body);
        Assert.True(errors.TryGetProperty("blocks.5.norm1.weight", out _), body); // vit-lab-s has 6 blocks: missing ones are listed too
        Assert.True(errors.TryGetProperty("patch_embed.proj.weight", out _), body);
        Assert.False(await IsRegisteredAsync(name));

        // One missing, one extra, one mis-shaped, one integer tensor; head tensors are ignored.
        using var golden = SafetensorsReader.Open(Golden);
        var tensors = golden.Tensors.Where(t => t.Name != "blocks.1.mlp.fc2.bias")
            .Select(t => t.Name == "norm.weight"
                ? SafetensorsTensor.FromFloat32(t.Name, [95], new float[95])
                : new SafetensorsTensor(t.Name, t.DType, t.Shape, golden.ReadRaw(t.Name)))
            .Append(SafetensorsTensor.FromFloat32("blocks.0.attn.extra.weight", [4], new float[4]))
            .Append(SafetensorsTensor.FromInt64("cls_token_index", [1], [0]))
            .ToList();
        using var edited = new MemoryStream();
        SafetensorsWriter.Write(edited, tensors);
        (status, body) = await ImportAsync(edited.ToArray(), name, "vit-tiny-ci");
        Assert.True(status == HttpStatusCode.BadRequest, body);
        errors = JsonDocument.Parse(body).RootElement.GetProperty("errors");
        Assert.Equal(["blocks.0.attn.extra.weight", "blocks.1.mlp.fc2.bias", "cls_token_index", "norm.weight"],
            errors.EnumerateObject().Select(p => p.Name).Order());
        Assert.False(await IsRegisteredAsync(name));

        // Not safetensors at all (truncated).
        (status, body) = await ImportAsync(bytes[..1000], name, "vit-tiny-ci");
        Assert.True(status == HttpStatusCode.BadRequest, body);
        Assert.Contains("\"file\"", body);
        Assert.False(await IsRegisteredAsync(name));
    }
}
