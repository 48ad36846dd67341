using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Classification;
using AdapterLab.Training.Model;
using static TorchSharp.torch;

namespace AdapterLab.Training.Serving;

/// <summary>
/// One trained adapter as served: the method, the model options it was trained with (bottleneck, scale, placement,
/// rank, prompt tokens, head) and only the tensors it trained plus the head's normalisation statistics — what an
/// experiment's adapted-weights file holds. The frozen rest comes from the <see cref="ServedBackbone"/> it is served on,
/// so an extra adapter costs its own tensor bytes and nothing more.
/// </summary>
public sealed class ServedAdapter : IServedWeights
{
    private readonly Dictionary<string, Tensor> tensors;

    private ServedAdapter(string key, string method, VisionTransformerOptions options, string backboneSha256, Dictionary<string, Tensor> tensors)
    {
        Key = key;
        Method = method;
        Options = options;
        BackboneSha256 = backboneSha256;
        this.tensors = tensors;
        Bytes = tensors.Values.Sum(t => t.NumberOfElements * t.ElementSize);
    }

    /// <summary>The name it is served under (a registered model's name and version).</summary>
    public string Key { get; }
    public string Method { get; }
    public VisionTransformerOptions Options { get; }

    /// <summary>The backbone file it was trained on.</summary>
    public string BackboneSha256 { get; }

    /// <summary>Bytes of tensor data held (what the adapter cache budgets).</summary>
    public long Bytes { get; }

    public int Classes => Options.Classes;

    /// <summary>Prompt tokens per row (0 without prompts).</summary>
    public int PromptTokens => Options.Prompts?.Tokens ?? 0;

    internal bool Has(string name) => tensors.ContainsKey(name);

    internal Tensor this[string name] => tensors.TryGetValue(name, out var t) ? t
        : throw new InvalidOperationException($"adapter '{Key}' has no tensor '{name}'");

    internal Tensor? Find(string name) => tensors.GetValueOrDefault(name);

    /// <summary>
    /// Loads an experiment's adapted-weights file for its plan: every tensor the method trains must be there, nothing
    /// else may be (validated by <see cref="ViTWeights.LoadTrained"/> before anything is kept).
    /// </summary>
    public static ServedAdapter Load(string key, ClassificationPlan plan, string adaptedPath, string backboneSha256, Device device)
    {
        Require(plan.Method);
        using var model = new VisionTransformer(plan.Model);
        ViTWeights.LoadTrained(model, adaptedPath, plan.IsTrainable);
        return From(key, plan.Method, model, plan.IsTrainable, backboneSha256, device);
    }

    /// <summary>The trained tensors (those <paramref name="isTrainable"/> names, plus buffers) of <paramref name="model"/>, copied.</summary>
    public static ServedAdapter From(string key, string method, VisionTransformer model, Func<string, bool> isTrainable, string backboneSha256, Device device)
    {
        Require(method);
        var copied = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (no_grad())
        {
            foreach (var (name, p) in model.named_parameters())
                if (isTrainable(name)) copied[name] = p.detach().to(device).clone();
            foreach (var (name, b) in model.named_buffers())
                if (b.is_floating_point()) copied[name] = b.detach().to(device).clone();
        }
        return new ServedAdapter(key, method, model.Options, backboneSha256, copied);
    }

    private static void Require(string method)
    {
        if (!Methods.Servable.Contains(method))
            throw new ArgumentException($"method '{method}' is not served on a shared backbone ({string.Join(", ", Methods.Servable)}); " +
                "a fully fine-tuned model is a backbone of its own");
    }

    /// <summary>Why this adapter cannot run on <paramref name="backbone"/>, or null when it can.</summary>
    public string? IncompatibilityWith(ServedBackbone backbone) =>
        !string.Equals(BackboneSha256, backbone.Sha256, StringComparison.OrdinalIgnoreCase)
            ? $"adapter '{Key}' was trained on backbone {Short(BackboneSha256)}, not {Short(backbone.Sha256)}"
        : Options.Preset.Name != backbone.Preset.Name ? $"adapter '{Key}' is for preset {Options.Preset.Name}, the backbone is {backbone.Preset.Name}"
        : Options.ImageSize != backbone.ImageSize ? $"adapter '{Key}' takes {Options.ImageSize}² images, the backbone is served at {backbone.ImageSize}²"
        : null;

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] : sha;

    public void Dispose()
    {
        foreach (var t in tensors.Values) t.Dispose();
        tensors.Clear();
    }
}
