using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Artifacts;
using AdapterLab.Training.Model;
using AdapterLab.Training.Multitask;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Serving;

/// <summary>
/// A dense multitask model served for prediction (<see cref="Methods.DenseServable"/>: <c>vtagml</c>, whose task-adapted
/// blocks and task embeddings sit on a frozen encoder, and <c>multitask-shared</c>, decoders only): the frozen backbone
/// file with the experiment's exported tensors on top, rebuilt exactly as <c>kind: evaluate</c> rebuilds it. It predicts
/// every task's map per image in the units its evaluation scores — segmentation class per pixel, depth, unit normals,
/// edge probability — for one image batch at a time. Unlike classification adapters it is not mixed with other models
/// in one pass: its adapter blocks replace the encoder's last blocks and every task decodes the whole token map. Its
/// encoder's frozen tensors are shared with the served backbone of the same file when one is held
/// (<see cref="ShareBackbone"/>: same storage, not a copy); <see cref="Bytes"/> counts only what it holds on its own.
/// </summary>
public sealed class ServedDenseModel : IServedWeights
{
    private readonly MultitaskModel model;

    private readonly Device device;

    private ServedDenseModel(string key, MultitaskModel model, string backboneSha256, Device device)
    {
        Key = key;
        this.model = model;
        this.device = device;
        BackboneSha256 = backboneSha256;
        Tasks = model.Plan.Tasks.Where(t => !AdapterLab.Contracts.Specs.Tasks.IsCopy(t)).ToList();
        Bytes = model.parameters().Concat(model.buffers()).Sum(t => t.NumberOfElements * t.ElementSize);
    }

    public string Key { get; }
    public string BackboneSha256 { get; }
    public long Bytes { get; private set; }
    public string Method => model.Plan.Method;
    public int ImageSize => model.Plan.ImageSize;

    /// <summary>The tasks it predicts (a positive control's repeated task is left out: it predicts what its original does).</summary>
    public IReadOnlyList<string> Tasks { get; }

    /// <summary>Loads the backbone file and the experiment's exported tensors (every tensor its method trains must be there).</summary>
    public static ServedDenseModel Load(string key, MultitaskPlan plan, string backbonePath, string weightsPath, string backboneSha256, Device device)
    {
        if (!Methods.DenseServable.Contains(plan.Method))
            throw new ArgumentException($"'{plan.Method}' is not served as a dense model ({string.Join(", ", Methods.DenseServable)}): it changes the whole encoder");
        var model = new MultitaskModel(plan);
        try
        {
            ViTWeights.Load(model.Encoder, backbonePath, includeHead: false);
            model.InitialiseAdaptersFromEncoder();
            ViTWeights.LoadTrained(model, weightsPath, model.IsExported);
            return From(key, model, backboneSha256, device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Serves <paramref name="model"/> itself (tests build one in memory); it is moved to <paramref name="device"/> and owned from here on.</summary>
    public static ServedDenseModel From(string key, MultitaskModel model, string backboneSha256, Device device)
    {
        foreach (var p in model.parameters()) p.requires_grad = false;
        model.to(device);
        model.RefreshBufferReferences();
        model.eval();
        return new ServedDenseModel(key, model, backboneSha256, device);
    }

    /// <summary>
    /// Points the encoder's frozen tensors at <paramref name="backbone"/>'s — the same file (hash), so the same values,
    /// which each tensor is checked for, with its shape (a backbone held at another image size keeps its own position
    /// embedding): one copy in memory for the backbone and this model. Returns the bytes no longer held twice.
    /// </summary>
    public long ShareBackbone(ServedBackbone backbone)
    {
        if (!string.Equals(backbone.Sha256, BackboneSha256, StringComparison.OrdinalIgnoreCase)) return 0;
        long shared = 0;
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope(); // the comparisons' temporaries; the parameters outlive it
        foreach (var (name, p) in model.Encoder.named_parameters())
        {
            if (!ViTWeights.IsBackbone(name) || !backbone.TryGet(name, out var t)) continue;
            if (!p.shape.SequenceEqual(t.shape) || p.dtype != t.dtype || p.device_type != t.device_type || !p.equal(t).all().item<bool>()) continue;
            p.set_(t);
            shared += t.NumberOfElements * t.ElementSize;
        }
        Bytes -= shared;
        return shared;
    }

    /// <summary>Per image, per task, its map flattened channel-major ([C, H, W]: segmentation, depth and edges have C = 1, normals 3).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, float[]>> Predict(Tensor pixels)
    {
        if (pixels.dim() != 4 || pixels.shape[1] != 3 || pixels.shape[2] != ImageSize || pixels.shape[3] != ImageSize)
            throw new ArgumentException($"pixels must be [B, 3, {ImageSize}, {ImageSize}], got [{string.Join(", ", pixels.shape)}]", nameof(pixels));
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var raw = model.Forward(pixels.to(device), Tasks);
        var maps = new List<IReadOnlyDictionary<string, float[]>>((int)pixels.shape[0]);
        for (long r = 0; r < pixels.shape[0]; r++)
            maps.Add(Tasks.ToDictionary(t => t, t => Gallery.PredictionMap(t, raw[t][r])));
        return maps;
    }

    public void Dispose() => model.Dispose();
}
