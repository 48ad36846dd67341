using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace AdapterLab.Contracts.Safetensors;

/// <summary>Writes safetensors files: tensors in the given order, header padded with spaces to a multiple of 8 bytes.</summary>
public static class SafetensorsWriter
{
    /// <summary>Writes atomically (temporary file, then rename) so a crash never leaves a half-written checkpoint.</summary>
    public static void Write(string path, IEnumerable<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            Write(fs, tensors, metadata);
        }
        File.Move(tmp, path, overwrite: true);
    }

    public static void Write(Stream stream, IEnumerable<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in list)
        {
            if (t.Name == "__metadata__" || !names.Add(t.Name)) throw new ArgumentException($"duplicate or reserved tensor name '{t.Name}'");
            long expected = t.Shape.Aggregate(1L, (a, b) => a * b) * t.DType.ElementSize();
            if (expected != t.Data.Length)
                throw new ArgumentException($"tensor '{t.Name}' shape [{string.Join(", ", t.Shape)}] × {t.DType} needs {expected} bytes, got {t.Data.Length}");
        }

        using var headerStream = new MemoryStream();
        using (var json = new Utf8JsonWriter(headerStream))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in list)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", t.DType.HeaderName());
                json.WriteStartArray("shape");
                foreach (var d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + t.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += t.Data.Length;
            }
            json.WriteEndObject();
        }

        var header = headerStream.ToArray();
        int padded = (header.Length + 7) / 8 * 8;
        Span<byte> lengthBytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(lengthBytes, (ulong)padded);
        stream.Write(lengthBytes);
        stream.Write(header);
        for (int i = header.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var t in list) stream.Write(t.Data);
    }
}
