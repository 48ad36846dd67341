using System.Text.RegularExpressions;
using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Safetensors;

namespace AdapterLab.Web.Backbones;

/// <summary>
/// Checks an imported safetensors header against a catalogue preset without loading any tensor data (no TorchSharp):
/// every backbone tensor under its common ViT name with the preset's shape, attention as fused <c>attn.qkv</c> or
/// separate q/k/v, float dtypes only.
/// <list type="bullet">
/// <item><c>head.*</c> tensors are <b>ignored</b> (accepted, kept in the stored file, never loaded): a backbone is
/// registered without a task, each experiment builds its own head for its own classes — as the agent's loader does.</item>
/// <item><c>pos_embed</c> may hold any square patch grid of the preset's width: the agent interpolates it to the
/// experiment's grid (bicubic), so weights trained at another resolution import.</item>
/// </list>
/// The result lists every offending tensor (name → problems); empty means the file is a valid backbone.
/// <see cref="CheckContents"/> then reads the data: every weight finite, no bytes outside the tensors (policy: refused,
/// not trimmed — a file with hidden bytes is not the file that was meant).
/// </summary>
public static partial class BackboneImportCheck
{
    /// <summary>Header limit for imports: a ViT-L header is about 40 KB; 16 MiB leaves room and bounds memory.</summary>
    public const long MaxHeaderBytes = 16L * 1024 * 1024;

    /// <summary>Second pass, over the data: non-finite weights (per tensor, with a count) and unindexed bytes.</summary>
    public static Dictionary<string, string[]> CheckContents(SafetensorsReader reader)
    {
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (reader.UnindexedBytes > 0)
            problems["file"] = [$"{reader.UnindexedBytes} bytes of the data section belong to no tensor (trailing or between tensors); export the file again"];
        foreach (var t in reader.Tensors)
        {
            if (t.DType is not (SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16)) continue;
            var values = reader.ReadFloat32(t.Name);
            int bad = values.Count(v => !float.IsFinite(v));
            if (bad > 0) problems[t.Name] = [$"{bad} of {values.Length} values are NaN or infinite"];
        }
        return problems;
    }

    [GeneratedRegex(@"^blocks\.(\d+)\.(.+)$")]
    private static partial Regex Block();

    public static Dictionary<string, string[]> Check(IEnumerable<SafetensorsTensorInfo> tensors, BackbonePreset preset)
    {
        var problems = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string name, string problem)
        {
            if (!problems.TryGetValue(name, out var list)) problems[name] = list = [];
            list.Add(problem);
        }

        var expected = ExpectedShapes(preset);
        var present = new Dictionary<string, SafetensorsTensorInfo>(StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            if (t.DType is not (SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16))
                Add(t.Name, $"dtype {t.DType.HeaderName()}; weights must be F32, F16 or BF16");
            if (t.Name.StartsWith("head.", StringComparison.Ordinal) || t.Name == "head") continue;
            present[t.Name] = t;
            if (t.Name == "pos_embed")
            {
                if (t.Shape.Count != 3 || t.Shape[0] != 1 || t.Shape[2] != preset.Width || !IsSquare(t.Shape[1] - 1))
                    Add(t.Name, $"shape {Shape(t.Shape)}; {preset.Name} needs [1, 1 + n², {preset.Width}] (n² patch positions, {preset.PatchTokens() + 1} at {preset.ImageSize} px)");
                continue;
            }
            if (expected.TryGetValue(t.Name, out var want))
            {
                if (!t.Shape.SequenceEqual(want)) Add(t.Name, $"shape {Shape(t.Shape)}; {preset.Name} needs {Shape(want)}");
            }
            else Add(t.Name, $"unexpected tensor: not part of a {preset.Name} backbone");
        }

        foreach (var name in expected.Keys.Append("pos_embed"))
        {
            if (present.ContainsKey(name)) continue;
            var m = AttentionPart().Match(name);
            if (m.Success)
            {
                // q/k/v: satisfied by the fused tensor; the fused one is reported once, below.
                if (m.Groups[2].Value == "qkv" || present.ContainsKey($"blocks.{m.Groups[1].Value}.attn.qkv.{m.Groups[3].Value}")) continue;
                bool anySeparate = "qkv".Any(c => present.ContainsKey($"blocks.{m.Groups[1].Value}.attn.{c}.{m.Groups[3].Value}"));
                if (!anySeparate)
                {
                    if (m.Groups[2].Value == "q") Add($"blocks.{m.Groups[1].Value}.attn.qkv.{m.Groups[3].Value}", "missing (neither fused attn.qkv nor separate q, k, v)");
                    continue;
                }
            }
            Add(name, "missing");
        }
        // Both layouts for one block would be ambiguous.
        for (int i = 0; i < preset.Depth; i++)
            foreach (var kind in new[] { "weight", "bias" })
                if (present.ContainsKey($"blocks.{i}.attn.qkv.{kind}") && "qkv".Any(c => present.ContainsKey($"blocks.{i}.attn.{c}.{kind}")))
                    Add($"blocks.{i}.attn.qkv.{kind}", "given both fused and separate q/k/v");

        return problems.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value.ToArray());
    }

    [GeneratedRegex(@"^blocks\.(\d+)\.attn\.(q|k|v|qkv)\.(weight|bias)$")]
    private static partial Regex AttentionPart();

    /// <summary>Backbone tensor shapes (position embedding excepted: see the class remarks), both attention layouts.</summary>
    public static Dictionary<string, long[]> ExpectedShapes(BackbonePreset p)
    {
        long d = p.Width, m = p.MlpHidden;
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal)
        {
            ["patch_embed.proj.weight"] = [d, 3, p.PatchSize, p.PatchSize],
            ["patch_embed.proj.bias"] = [d],
            ["cls_token"] = [1, 1, d],
            ["norm.weight"] = [d],
            ["norm.bias"] = [d],
        };
        for (int i = 0; i < p.Depth; i++)
        {
            string b = $"blocks.{i}.";
            shapes[b + "norm1.weight"] = [d];
            shapes[b + "norm1.bias"] = [d];
            shapes[b + "norm2.weight"] = [d];
            shapes[b + "norm2.bias"] = [d];
            shapes[b + "attn.qkv.weight"] = [3 * d, d];
            shapes[b + "attn.qkv.bias"] = [3 * d];
            foreach (var c in new[] { "q", "k", "v" })
            {
                shapes[b + $"attn.{c}.weight"] = [d, d];
                shapes[b + $"attn.{c}.bias"] = [d];
            }
            shapes[b + "attn.proj.weight"] = [d, d];
            shapes[b + "attn.proj.bias"] = [d];
            shapes[b + "mlp.fc1.weight"] = [m, d];
            shapes[b + "mlp.fc1.bias"] = [m];
            shapes[b + "mlp.fc2.weight"] = [d, m];
            shapes[b + "mlp.fc2.bias"] = [d];
        }
        return shapes;
    }

    private static bool IsSquare(long n)
    {
        if (n < 1) return false;
        long r = (long)Math.Round(Math.Sqrt(n));
        return r * r == n;
    }

    private static string Shape(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";
}
