using System.Text.Json;
using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Safetensors;
using AdapterLab.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Tests;

[Collection(TorchCollection.Name)]
public sealed class VisionTransformerGoldenTests
{
    private static VisionTransformer TinyModel(int? imageSize = null, string preset = "vit-tiny-ci") =>
        new(new VisionTransformerOptions(ModelCatalogue.Get(preset), imageSize ?? ModelCatalogue.Get(preset).ImageSize, 5));

    [Theory]
    [InlineData("vit-tiny-ci-f32.safetensors")]
    [InlineData("vit-tiny-ci-f16.safetensors")]
    [InlineData("vit-tiny-ci-bf16.safetensors")]
    public void Forward_matches_the_independent_float64_logits(string file)
    {
        using var model = TinyModel();
        ViTWeights.Load(model, Path.Combine(TestPaths.VitGolden, file), includeHead: true);
        model.eval();
        using var reader = SafetensorsReader.Open(Path.Combine(TestPaths.VitGolden, "input.safetensors"));
        using var pixels = TensorData.Read(reader, "pixels");
        using var _ = torch.no_grad();
        using var logits = model.forward(pixels);
        var actual = logits.data<float>().ToArray();

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.VitGolden, "expected.json")));
        var expected = doc.RootElement.GetProperty("logits").GetProperty(file).EnumerateArray()
            .SelectMany(row => row.EnumerateArray().Select(v => v.GetDouble())).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-4, $"logit {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void Export_then_reimport_is_bit_exact_and_uses_the_common_names()
    {
        var golden = Path.Combine(TestPaths.VitGolden, "vit-tiny-ci-f32.safetensors");
        using var model = TinyModel();
        ViTWeights.Load(model, golden, includeHead: true);
        var dir = TestPaths.TempDirectory();
        var exported = Path.Combine(dir, "export.safetensors");
        SafetensorsWriter.Write(exported, ViTWeights.Export(model, _ => true));

        using (var original = SafetensorsReader.Open(golden))
        using (var copy = SafetensorsReader.Open(exported))
        {
            Assert.Equal(original.Tensors.Select(t => t.Name).Order(), copy.Tensors.Select(t => t.Name).Order());
            foreach (var t in original.Tensors) Assert.Equal(original.ReadRaw(t.Name), copy.ReadRaw(t.Name));
        }

        using var again = TinyModel();
        ViTWeights.Load(again, exported, includeHead: true);
        var a = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in again.named_parameters()) Assert.Equal(a[name].data<float>().ToArray(), p.data<float>().ToArray());
    }

    [Fact]
    public void Mismatched_weights_list_every_problem_and_leave_the_model_untouched()
    {
        using var model = TinyModel(preset: "vit-lab-s");
        using var before = model.named_parameters().First(p => p.name == "blocks.0.mlp.fc1.weight").parameter.clone();
        var error = Assert.Throws<WeightLoadException>(() =>
            ViTWeights.Load(model, Path.Combine(TestPaths.VitGolden, "vit-tiny-ci-f32.safetensors")));
        Assert.Contains(error.Problems, p => p.StartsWith("'blocks.5.norm1.weight': missing"));
        Assert.Contains(error.Problems, p => p.StartsWith("'blocks.0.mlp.fc1.weight': shape [384, 96]"));
        Assert.Contains(error.Problems, p => p.StartsWith("'pos_embed'"));
        Assert.True(error.Problems.Count > 20);
        Assert.Equal(before.data<float>().ToArray(), model.named_parameters().First(p => p.name == "blocks.0.mlp.fc1.weight").parameter.data<float>().ToArray());
    }

    [Fact]
    public void Unexpected_tensors_are_reported()
    {
        var dir = TestPaths.TempDirectory();
        var path = Path.Combine(dir, "extra.safetensors");
        using var model = TinyModel();
        var tensors = ViTWeights.Export(model, ViTWeights.IsBackbone);
        tensors.Add(SafetensorsTensor.FromFloat32("blocks.9.norm1.weight", [96], new float[96]));
        SafetensorsWriter.Write(path, tensors);
        var error = Assert.Throws<WeightLoadException>(() => ViTWeights.Load(TinyModel(), path));
        Assert.Equal(["'blocks.9.norm1.weight': unexpected tensor (not part of a vit-tiny-ci backbone)"], error.Problems);
    }

    [Fact]
    public void Position_embedding_is_interpolated_for_another_image_size_keeping_cls()
    {
        var golden = Path.Combine(TestPaths.VitGolden, "vit-tiny-ci-f32.safetensors");
        using var model = TinyModel(imageSize: 48);
        ViTWeights.Load(model, golden);
        var pos = model.named_parameters().First(p => p.name == "pos_embed").parameter;
        Assert.Equal(new long[] { 1, 145, 96 }, pos.shape);
        using var reader = SafetensorsReader.Open(golden);
        var original = reader.ReadFloat32("pos_embed");
        Assert.Equal(original[..96], pos[0, 0].data<float>().ToArray());
        using var input = torch.randn(2, 3, 48, 48);
        using var _ = torch.no_grad();
        using var logits = model.forward(input);
        Assert.Equal(new long[] { 2, 5 }, logits.shape);
    }

    [Fact]
    public void Random_initialisation_follows_timm_and_is_not_degenerate()
    {
        torch.random.manual_seed(1);
        using var model = TinyModel();
        var p = model.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        foreach (var name in new[] { "blocks.0.mlp.fc1.weight", "blocks.3.attn.q.weight", "head.weight", "pos_embed" })
            Assert.InRange(p[name].std().item<float>(), 0.017, 0.023);
        Assert.Equal(0f, p["blocks.0.attn.q.bias"].abs().max().item<float>());
        Assert.True((p["head.weight"][0] - p["head.weight"][1]).abs().max().item<float>() > 1e-3);
    }

    [Fact]
    public void Parameter_counts_match_the_catalogue_formulas()
    {
        using var model = TinyModel();
        long backbone = model.named_parameters().Where(p => ViTWeights.IsBackbone(p.name)).Sum(p => p.parameter.numel());
        Assert.Equal(458_592, backbone);
        Assert.Equal(ModelCatalogue.Get("vit-tiny-ci").BackboneParameters(), backbone);
    }
}
