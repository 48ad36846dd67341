using System.Buffers.Binary;
using System.Text.RegularExpressions;
using System.Text.Json;
using AdapterLab.Contracts.Safetensors;

namespace AdapterLab.Web.Weights;

/// <summary>
/// Backbone + adapted tensors in one safetensors file, streamed tensor by tensor (at most one tensor in memory):
/// the adapted file's tensors win over the backbone's of the same name; the backbone's <c>head.*</c> is dropped (the
/// experiment's own head replaces it); attention layouts are reconciled, so the result never holds both a fused
/// <c>attn.qkv</c> and separate q/k/v for the same block and kind (a fused backbone tensor partly overridden by separate
/// q/k/v is split into its three row blocks).
/// </summary>
public static partial class SafetensorsMerge
{
    [GeneratedRegex(@"^blocks\.(\d+)\.attn\.(q|k|v|qkv)\.(weight|bias)$")]
    private static partial Regex Attention();

    /// <summary>One output tensor: a byte range of one source tensor.</summary>
    public sealed record Part(string Name, SafetensorsDType DType, IReadOnlyList<long> Shape, SafetensorsReader Source, string SourceName, long Offset, long Length);

    public static List<Part> Plan(SafetensorsReader backbone, SafetensorsReader adapted)
    {
        var fromAdapted = adapted.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var parts = new List<Part>();
        foreach (var t in backbone.Tensors.OrderBy(t => t.Begin))
        {
            if (t.Name.StartsWith("head.", StringComparison.Ordinal) || t.Name.StartsWith("head_norm.", StringComparison.Ordinal)) continue;
            if (fromAdapted.ContainsKey(t.Name)) continue;
            var m = Attention().Match(t.Name);
            if (m.Success)
            {
                string block = m.Groups[1].Value, which = m.Groups[2].Value, kind = m.Groups[3].Value;
                string Name(string c) => $"blocks.{block}.attn.{c}.{kind}";
                if (which != "qkv" && fromAdapted.ContainsKey(Name("qkv"))) continue; // the adapted fused tensor replaces q, k and v
                if (which == "qkv" && "qkv".Any(c => fromAdapted.ContainsKey(Name(c.ToString()))))
                {
                    // Split the fused tensor into its row blocks (q, k, v) and keep those the adapted file does not replace.
                    long rows = t.Shape[0] / 3, rowBytes = t.ByteLength / t.Shape[0];
                    var shape = new[] { rows }.Concat(t.Shape.Skip(1)).ToArray();
                    for (int c = 0; c < 3; c++)
                    {
                        var n = Name("qkv"[c].ToString());
                        if (!fromAdapted.ContainsKey(n)) parts.Add(new Part(n, t.DType, shape, backbone, t.Name, c * rows * rowBytes, rows * rowBytes));
                    }
                    continue;
                }
            }
            parts.Add(new Part(t.Name, t.DType, t.Shape, backbone, t.Name, 0, t.ByteLength));
        }
        foreach (var t in adapted.Tensors.OrderBy(t => t.Begin))
            parts.Add(new Part(t.Name, t.DType, t.Shape, adapted, t.Name, 0, t.ByteLength));
        return parts;
    }

    public static byte[] Header(IReadOnlyList<Part> parts, IReadOnlyDictionary<string, string> metadata, out long dataLength)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata.Count > 0)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var p in parts)
            {
                json.WriteStartObject(p.Name);
                json.WriteString("dtype", p.DType.HeaderName());
                json.WriteStartArray("shape");
                foreach (var d in p.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + p.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += p.Length;
            }
            json.WriteEndObject();
            dataLength = offset;
        }
        var header = buffer.ToArray();
        int padded = (header.Length + 7) / 8 * 8;
        var result = new byte[8 + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)padded);
        header.CopyTo(result, 8);
        result.AsSpan(8 + header.Length).Fill((byte)' ');
        return result;
    }

    /// <summary>Writes the merged file: header, then each part's bytes read from its source one tensor at a time.</summary>
    public static async Task WriteAsync(Stream destination, IReadOnlyList<Part> parts, byte[] header, CancellationToken ct)
    {
        await destination.WriteAsync(header, ct);
        string? cachedName = null;
        SafetensorsReader? cachedSource = null;
        byte[] cached = [];
        foreach (var p in parts)
        {
            if (!ReferenceEquals(cachedSource, p.Source) || cachedName != p.SourceName)
            {
                cached = p.Source.ReadRaw(p.SourceName);
                cachedSource = p.Source;
                cachedName = p.SourceName;
            }
            await destination.WriteAsync(cached.AsMemory((int)p.Offset, (int)p.Length), ct);
        }
    }
}
