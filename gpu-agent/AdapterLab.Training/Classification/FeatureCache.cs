using AdapterLab.Training.Datasets.ShapesWorld;
using AdapterLab.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Classification;

/// <summary>
/// Frozen-backbone CLS features per split, computed once: the linear probe then trains and evaluates its head on
/// [N, d] tensors instead of re-running the encoder every step.
/// </summary>
public sealed class FeatureCache(VisionTransformer model, Device device) : IDisposable
{
    private const int Batch = 256;
    private readonly Dictionary<ClassificationSplit, Tensor> cache = new(ReferenceEqualityComparer.Instance);

    public Tensor For(ClassificationSplit split)
    {
        if (cache.TryGetValue(split, out var cached)) return cached;
        var parts = new List<Tensor>();
        model.eval();
        using (torch.no_grad())
        {
            for (int start = 0; start < split.Count; start += Batch)
            {
                using var scope = torch.NewDisposeScope();
                var rows = Enumerable.Range(start, Math.Min(Batch, split.Count - start)).ToArray();
                parts.Add(model.Features(split.ImagesTensor(rows, device)).MoveToOuterDisposeScope());
            }
        }
        var all = torch.cat(parts, 0).DetachFromDisposeScope();
        foreach (var p in parts) p.Dispose();
        cache[split] = all;
        return all;
    }

    public void Dispose()
    {
        foreach (var t in cache.Values) t.Dispose();
        cache.Clear();
    }
}
