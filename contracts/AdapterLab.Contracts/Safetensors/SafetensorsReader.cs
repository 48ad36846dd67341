using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace AdapterLab.Contracts.Safetensors;

/// <summary>
/// Reads a safetensors file: the header is parsed and validated on open, tensors are read one at a time by offset,
/// so a multi-gigabyte file is never loaded whole. Not thread-safe (one stream position).
/// </summary>
public sealed class SafetensorsReader : IDisposable
{
    /// <summary>Headers larger than this are rejected before allocating (the format's own reference limit is 100 MB).</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafetensorsTensorInfo> _tensors;

    private SafetensorsReader(Stream stream, bool ownsStream, string source, long maxHeaderBytes)
    {
        _stream = stream;
        _ownsStream = ownsStream;
        try
        {
            (Metadata, _tensors, _dataStart) = ParseHeader(stream, source, Math.Min(maxHeaderBytes, MaxHeaderBytes));
            UnindexedBytes = stream.Length - _dataStart - _tensors.Values.Sum(t => t.ByteLength);
        }
        catch
        {
            if (ownsStream) stream.Dispose();
            throw;
        }
        Source = source;
    }

    /// <summary>File path or a description of the stream, used in error messages.</summary>
    public string Source { get; }

    /// <summary>The optional <c>__metadata__</c> string map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Bytes of the data section no tensor covers (gaps and trailing bytes): 0 in a well-formed file.</summary>
    public long UnindexedBytes { get; }

    /// <summary>Tensor entries in header order of their data offsets.</summary>
    public IReadOnlyCollection<SafetensorsTensorInfo> Tensors => _tensors.Values;

    public static SafetensorsReader Open(string path) =>
        new(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16), true, path, MaxHeaderBytes);

    /// <summary>Reads from a seekable stream; the stream stays open when <paramref name="leaveOpen"/>.</summary>
    /// <param name="source">How messages name the file (never a server path for uploads).</param>
    /// <param name="maxHeaderBytes">A tighter header limit, e.g. for uploads.</param>
    public static SafetensorsReader Open(Stream stream, bool leaveOpen = false, string source = "stream", long maxHeaderBytes = MaxHeaderBytes)
    {
        if (!stream.CanSeek) throw new ArgumentException("safetensors reading needs a seekable stream", nameof(stream));
        return new SafetensorsReader(stream, !leaveOpen, source, maxHeaderBytes);
    }

    public bool Contains(string name) => _tensors.ContainsKey(name);

    public SafetensorsTensorInfo Info(string name) =>
        _tensors.TryGetValue(name, out var info) ? info : throw new KeyNotFoundException($"{Source}: no tensor named '{name}'");

    /// <summary>The tensor's raw little-endian bytes, exactly as stored.</summary>
    public byte[] ReadRaw(string name)
    {
        var info = Info(name);
        var bytes = new byte[info.ByteLength];
        _stream.Seek(_dataStart + info.Begin, SeekOrigin.Begin);
        try
        {
            _stream.ReadExactly(bytes);
        }
        catch (EndOfStreamException ex)
        {
            throw new SafetensorsFormatException($"{Source}: tensor '{name}' is truncated (file shorter than its data offsets)", ex);
        }
        return bytes;
    }

    /// <summary>The tensor converted to float32 (F16 through <see cref="Half"/>, BF16 by widening the bits).</summary>
    public float[] ReadFloat32(string name)
    {
        var info = Info(name);
        var raw = ReadRaw(name);
        var result = new float[info.ElementCount];
        switch (info.DType)
        {
            case SafetensorsDType.F32:
                SafetensorsTensor.EnsureLittleEndian();
                MemoryMarshal.Cast<byte, float>(raw).CopyTo(result);
                break;
            case SafetensorsDType.F16:
                for (int i = 0; i < result.Length; i++) result[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(raw.AsSpan(i * 2));
                break;
            case SafetensorsDType.BF16:
                for (int i = 0; i < result.Length; i++)
                    result[i] = BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(i * 2)) << 16);
                break;
            default:
                throw new InvalidOperationException($"{Source}: tensor '{name}' is {info.DType}, not a floating-point type");
        }
        return result;
    }

    public long[] ReadInt64(string name)
    {
        var info = Info(name);
        if (info.DType != SafetensorsDType.I64) throw new InvalidOperationException($"{Source}: tensor '{name}' is {info.DType}, not I64");
        SafetensorsTensor.EnsureLittleEndian();
        return MemoryMarshal.Cast<byte, long>(ReadRaw(name)).ToArray();
    }

    public void Dispose()
    {
        if (_ownsStream) _stream.Dispose();
    }

    private static (IReadOnlyDictionary<string, string>, Dictionary<string, SafetensorsTensorInfo>, long) ParseHeader(Stream stream, string source, long maxHeaderBytes)
    {
        long fileLength = stream.Length;
        if (fileLength < 8) throw new SafetensorsFormatException($"{source}: truncated file ({fileLength} bytes; the 8-byte header length is missing)");
        stream.Seek(0, SeekOrigin.Begin);
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)maxHeaderBytes)
            throw new SafetensorsFormatException($"{source}: header length {headerLength} exceeds the {maxHeaderBytes}-byte limit");
        if (8 + (long)headerLength > fileLength)
            throw new SafetensorsFormatException($"{source}: header length {headerLength} goes beyond the end of the file ({fileLength} bytes): truncated or not a safetensors file");

        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(headerBytes, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            throw new SafetensorsFormatException($"{source}: header is not valid JSON ({ex.Message})", ex);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new SafetensorsFormatException($"{source}: header must be a JSON object");
            var metadata = new Dictionary<string, string>();
            var tensors = new Dictionary<string, SafetensorsTensorInfo>();
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object)
                        throw new SafetensorsFormatException($"{source}: __metadata__ must be an object of strings");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw new SafetensorsFormatException($"{source}: __metadata__ value '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                if (tensors.ContainsKey(prop.Name)) throw new SafetensorsFormatException($"{source}: tensor '{prop.Name}' appears twice");
                tensors[prop.Name] = ParseEntry(source, prop, dataLength);
            }

            // Overlapping tensors would alias each other's bytes: reject instead of silently sharing.
            var ordered = tensors.Values.Where(t => t.ByteLength > 0).OrderBy(t => t.Begin).ToList();
            for (int i = 1; i < ordered.Count; i++)
            {
                if (ordered[i].Begin < ordered[i - 1].End)
                    throw new SafetensorsFormatException(
                        $"{source}: tensors '{ordered[i - 1].Name}' [{ordered[i - 1].Begin}, {ordered[i - 1].End}) and '{ordered[i].Name}' [{ordered[i].Begin}, {ordered[i].End}) overlap");
            }
            var sorted = tensors.Values.OrderBy(t => t.Begin).ThenBy(t => t.Name, StringComparer.Ordinal)
                .ToDictionary(t => t.Name, t => t, StringComparer.Ordinal);
            return (metadata, sorted, dataStart);
        }
    }

    private static SafetensorsTensorInfo ParseEntry(string source, JsonProperty prop, long dataLength)
    {
        var name = prop.Name;
        var e = prop.Value;
        if (e.ValueKind != JsonValueKind.Object) throw new SafetensorsFormatException($"{source}: tensor '{name}' entry is not an object");
        if (!e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw new SafetensorsFormatException($"{source}: tensor '{name}' has no dtype");
        if (!SafetensorsDTypes.TryParse(dt.GetString()!, out var dtype))
            throw new SafetensorsFormatException($"{source}: tensor '{name}' has unsupported dtype '{dt.GetString()}' (supported: F32, F16, BF16, I64)");
        if (!e.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw new SafetensorsFormatException($"{source}: tensor '{name}' has no shape array");
        var shape = new List<long>();
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var v) || v < 0)
                throw new SafetensorsFormatException($"{source}: tensor '{name}' has an invalid shape dimension '{d}'");
            shape.Add(v);
        }
        if (!e.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw new SafetensorsFormatException($"{source}: tensor '{name}' needs data_offsets [begin, end]");
        if (off[0].ValueKind != JsonValueKind.Number || off[1].ValueKind != JsonValueKind.Number
            || !off[0].TryGetInt64(out var begin) || !off[1].TryGetInt64(out var end) || begin < 0 || end < begin)
            throw new SafetensorsFormatException($"{source}: tensor '{name}' has invalid data_offsets {off}");
        if (end > dataLength)
            throw new SafetensorsFormatException($"{source}: tensor '{name}' data_offsets [{begin}, {end}) lie outside the data section ({dataLength} bytes): file truncated?");
        long elements = 1, expected;
        try
        {
            foreach (var d in shape) elements = checked(elements * d);
            expected = checked(elements * dtype.ElementSize());
        }
        catch (OverflowException)
        {
            throw new SafetensorsFormatException($"{source}: tensor '{name}' shape [{string.Join(", ", shape)}] has more elements than a file can hold");
        }
        if (expected != end - begin)
            throw new SafetensorsFormatException(
                $"{source}: tensor '{name}' shape [{string.Join(", ", shape)}] × {dtype} needs {expected} bytes but data_offsets span {end - begin}");
        return new SafetensorsTensorInfo(name, dtype, shape, begin, end);
    }
}
