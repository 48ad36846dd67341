using AdapterLab.Contracts.Catalogue;
using AdapterLab.Training.Model;
using static TorchSharp.torch;

namespace AdapterLab.Training.Serving;

/// <summary>
/// A frozen backbone held once for serving: its tensors by their ViT names (patch embedding, CLS token, position
/// embedding, blocks, final norm), read-only, on one device. Every adapter served on it adds only its own tensors
/// (<see cref="ServedAdapter"/>). Loaded through <c>ViTWeights.Load</c>, the same validation (shapes, fused
/// <c>qkv</c>, position-embedding interpolation) a training run uses.
/// </summary>
public sealed class ServedBackbone : IDisposable
{
    private readonly Dictionary<string, Tensor> tensors;

    private ServedBackbone(BackbonePreset preset, int imageSize, string sha256, Dictionary<string, Tensor> tensors)
    {
        Preset = preset;
        ImageSize = imageSize;
        Sha256 = sha256;
        this.tensors = tensors;
        Bytes = tensors.Values.Sum(t => t.NumberOfElements * t.ElementSize);
    }

    public BackbonePreset Preset { get; }

    /// <summary>Where its tensors live (batches are moved there).</summary>
    public Device Device => tensors["cls_token"].device;
    public int ImageSize { get; }

    /// <summary>The content hash of the weights file it was loaded from: adapters trained on another file are refused.</summary>
    public string Sha256 { get; }

    /// <summary>Bytes of tensor data held.</summary>
    public long Bytes { get; }

    public int PatchTokens => Preset.PatchTokens(ImageSize);

    internal Tensor this[string name] => tensors.TryGetValue(name, out var t) ? t
        : throw new InvalidOperationException($"backbone tensor '{name}' is missing");

    internal bool TryGet(string name, out Tensor tensor) => tensors.TryGetValue(name, out tensor!);

    /// <summary>Loads the backbone stored in <paramref name="path"/> (a safetensors file whose content hash is <paramref name="sha256"/>).</summary>
    public static ServedBackbone Load(BackbonePreset preset, int imageSize, string path, string sha256, Device device)
    {
        using var model = new VisionTransformer(new VisionTransformerOptions(preset, imageSize, Classes: 1));
        ViTWeights.Load(model, path, includeHead: false);
        return From(model, sha256, device);
    }

    /// <summary>The backbone tensors of <paramref name="model"/>, copied (tests and benchmarks build one in memory).</summary>
    public static ServedBackbone From(VisionTransformer model, string sha256, Device device)
    {
        var copied = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (ViTWeights.IsBackbone(name)) copied[name] = p.detach().to(device).clone();
        return new ServedBackbone(model.Options.Preset, model.Options.ImageSize, sha256, copied);
    }

    public void Dispose()
    {
        foreach (var t in tensors.Values) t.Dispose();
        tensors.Clear();
    }
}
