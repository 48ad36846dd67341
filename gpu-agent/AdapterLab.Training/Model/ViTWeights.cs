using System.Text.RegularExpressions;
using AdapterLab.Contracts.Safetensors;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Model;

/// <summary>
/// Loads and exports ViT weights by common name. Accepts fused <c>attn.qkv</c> (rows q, k, v) or separate q/k/v,
/// interpolates the position embedding when the patch grid differs, and validates every tensor before copying
/// anything, so a bad file never leaves a half-loaded model.
/// </summary>
public static partial class ViTWeights
{
    [GeneratedRegex(@"^blocks\.(\d+)\.attn\.qkv\.(weight|bias)$")]
    private static partial Regex FusedQkv();

    [GeneratedRegex(@"^blocks\.(\d+)\.attn\.([qkv])\.(weight|bias)$")]
    private static partial Regex SeparateQkv();

    /// <summary>True for tensors of the plain backbone (not the head, not method extras).</summary>
    public static bool IsBackbone(string name) =>
        !name.StartsWith("head", StringComparison.Ordinal)
        && !name.Contains(".adapter.", StringComparison.Ordinal)
        && !name.Contains(".lora_", StringComparison.Ordinal)
        && !name.StartsWith("prompt_embeddings", StringComparison.Ordinal);

    public static bool IsHead(string name) => name.StartsWith("head.", StringComparison.Ordinal);

    /// <summary>
    /// Loads backbone tensors (and the Linear head when <paramref name="includeHead"/>) from a safetensors file.
    /// Head tensors in the file are ignored otherwise (a backbone pretrained for other classes).
    /// </summary>
    public static void Load(VisionTransformer model, string path, bool includeHead = false)
    {
        using var reader = SafetensorsReader.Open(path);
        Load(model, reader, includeHead);
    }

    public static void Load(VisionTransformer model, SafetensorsReader reader, bool includeHead)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var expected = parameters.Keys.Where(n => IsBackbone(n) || (includeHead && IsHead(n))).ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();
        var incoming = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var scope = torch.NewDisposeScope();

        foreach (var info in reader.Tensors)
        {
            if (info.DType == SafetensorsDType.I64)
            {
                problems.Add($"'{info.Name}': integer tensor where float weights are expected");
                continue;
            }
            var fused = FusedQkv().Match(info.Name);
            if (fused.Success)
            {
                var t = TensorData.Read(reader, info.Name);
                if (t.shape[0] % 3 != 0)
                {
                    problems.Add($"'{info.Name}': shape [{string.Join(", ", info.Shape)}] cannot split into q, k, v");
                    continue;
                }
                var parts = t.chunk(3, 0);
                string prefix = $"blocks.{fused.Groups[1].Value}.attn.", kind = fused.Groups[2].Value;
                incoming[$"{prefix}q.{kind}"] = parts[0];
                incoming[$"{prefix}k.{kind}"] = parts[1];
                incoming[$"{prefix}v.{kind}"] = parts[2];
                continue;
            }
            if (!includeHead && IsHead(info.Name)) continue;
            if (!expected.Contains(info.Name))
            {
                problems.Add($"'{info.Name}': unexpected tensor (not part of a {model.Options.Preset.Name} backbone{(includeHead ? " with head" : "")})");
                continue;
            }
            incoming[info.Name] = TensorData.Read(reader, info.Name);
        }

        if (incoming.TryGetValue("pos_embed", out var pos) && expected.Contains("pos_embed"))
        {
            var target = parameters["pos_embed"].shape;
            if (!pos.shape.SequenceEqual(target) && pos.dim() == 3 && pos.shape[2] == target[2])
            {
                var resized = InterpolatePositionEmbedding(pos, (int)target[1] - 1);
                if (resized is null)
                    problems.Add($"'pos_embed': {pos.shape[1] - 1} patch positions do not form a square grid; cannot interpolate to {target[1] - 1}");
                else incoming["pos_embed"] = resized;
            }
        }

        foreach (var name in expected.OrderBy(n => n, StringComparer.Ordinal))
        {
            if (!incoming.TryGetValue(name, out var t))
            {
                problems.Add($"'{name}': missing");
                continue;
            }
            var want = parameters[name].shape;
            if (!t.shape.SequenceEqual(want))
                problems.Add($"'{name}': shape [{string.Join(", ", t.shape)}] in file, model needs [{string.Join(", ", want)}]");
        }
        if (problems.Count > 0) throw new WeightLoadException(reader.Source, problems);

        using var _ = torch.no_grad();
        foreach (var name in expected)
        {
            var p = parameters[name];
            p.copy_(incoming[name].to(p.device));
        }
    }

    /// <summary>
    /// Loads the tensors an experiment trained (its adapted-weights or whole-model file) into parameters and buffers of
    /// the same name. Every parameter for which <paramref name="required"/> holds must be in the file; anything in the
    /// file that the model lacks, or of the wrong shape, is an error. Validated in full before anything is copied.
    /// </summary>
    public static void LoadTrained(nn.Module model, string path, Func<string, bool> required)
    {
        using var reader = SafetensorsReader.Open(path);
        var targets = model.named_parameters().Select(p => (p.name, tensor: (Tensor)p.parameter))
            .Concat(model.named_buffers().Select(b => (b.name, tensor: b.buffer)))
            .ToDictionary(t => t.name, t => t.tensor, StringComparer.Ordinal);
        var problems = new List<string>();
        using var scope = torch.NewDisposeScope();
        var incoming = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var info in reader.Tensors)
        {
            var fused = FusedQkv().Match(info.Name);
            var t = TensorData.Read(reader, info.Name);
            if (fused.Success && t.shape[0] % 3 == 0)
            {
                var parts = t.chunk(3, 0);
                string prefix = $"blocks.{fused.Groups[1].Value}.attn.", kind = fused.Groups[2].Value;
                incoming[$"{prefix}q.{kind}"] = parts[0];
                incoming[$"{prefix}k.{kind}"] = parts[1];
                incoming[$"{prefix}v.{kind}"] = parts[2];
            }
            else incoming[info.Name] = t;
        }
        foreach (var (name, t) in incoming)
        {
            if (!targets.TryGetValue(name, out var target)) problems.Add($"'{name}': unexpected tensor (the model has no such parameter or buffer)");
            else if (!t.shape.SequenceEqual(target.shape))
                problems.Add($"'{name}': shape [{string.Join(", ", t.shape)}] in file, model needs [{string.Join(", ", target.shape)}]");
        }
        foreach (var (name, _) in model.named_parameters())
            if (required(name) && !incoming.ContainsKey(name)) problems.Add($"'{name}': missing");
        if (problems.Count > 0) throw new WeightLoadException(reader.Source, problems);

        using var _ = torch.no_grad();
        foreach (var (name, t) in incoming)
        {
            var target = targets[name];
            target.copy_(t.to(target.dtype).to(target.device));
        }
    }

    /// <summary>Bicubic resize of the patch-grid part of a [1, 1+N, d] embedding; the CLS position is kept as is.</summary>
    public static Tensor? InterpolatePositionEmbedding(Tensor pos, int targetPatches)
    {
        int oldGrid = (int)Math.Round(Math.Sqrt(pos.shape[1] - 1)), newGrid = (int)Math.Round(Math.Sqrt(targetPatches));
        if (oldGrid * oldGrid != pos.shape[1] - 1 || newGrid * newGrid != targetPatches) return null;
        long d = pos.shape[2];
        using var scope = torch.NewDisposeScope();
        var cls = pos[.., ..1];
        var grid = pos[.., 1..].reshape(1, oldGrid, oldGrid, d).permute(0, 3, 1, 2);
        var resized = nn.functional.interpolate(grid, size: [newGrid, newGrid], mode: InterpolationMode.Bicubic, align_corners: false);
        var patches = resized.permute(0, 2, 3, 1).reshape(1, newGrid * newGrid, d);
        return torch.cat([cls, patches], 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Tensors of <paramref name="model"/> whose names pass <paramref name="include"/>, as float32 safetensors entries;
    /// a block's q, k and v are written as the fused <c>attn.qkv</c> that timm-style loaders expect when all three are included.
    /// </summary>
    public static List<SafetensorsTensor> Export(VisionTransformer model, Func<string, bool> include)
    {
        var named = model.named_parameters().Select(p => (p.name, tensor: (Tensor)p.parameter))
            .Where(p => include(p.name)).ToList();
        var byName = named.ToDictionary(p => p.name, p => p.tensor, StringComparer.Ordinal);
        var result = new List<SafetensorsTensor>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in named)
        {
            if (done.Contains(name)) continue;
            var m = SeparateQkv().Match(name);
            if (m.Success)
            {
                string prefix = $"blocks.{m.Groups[1].Value}.attn.", kind = m.Groups[3].Value;
                string[] parts = [$"{prefix}q.{kind}", $"{prefix}k.{kind}", $"{prefix}v.{kind}"];
                if (parts.All(byName.ContainsKey))
                {
                    using var fused = torch.cat(parts.Select(p => byName[p]).ToArray(), 0);
                    result.Add(TensorData.ToSafetensors($"{prefix}qkv.{kind}", fused));
                    foreach (var p in parts) done.Add(p);
                    continue;
                }
            }
            result.Add(TensorData.ToSafetensors(name, tensor));
            done.Add(name);
        }
        return result;
    }
}
