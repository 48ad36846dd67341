using System.Buffers.Binary;
using System.Text;
using AdapterLab.Contracts.Safetensors;

namespace AdapterLab.Training.Tests;

public sealed class SafetensorsTests
{
    [Theory]
    [InlineData("vit-tiny-ci-f32.safetensors", SafetensorsDType.F32)]
    [InlineData("vit-tiny-ci-f16.safetensors", SafetensorsDType.F16)]
    [InlineData("vit-tiny-ci-bf16.safetensors", SafetensorsDType.BF16)]
    public void Golden_files_read_with_padding_and_metadata(string file, SafetensorsDType dtype)
    {
        var path = Path.Combine(TestPaths.VitGolden, file);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(path).AsSpan(0, 8));
        Assert.Equal(0UL, headerLength % 8);

        using var reader = SafetensorsReader.Open(path);
        Assert.NotEmpty(reader.Metadata);
        Assert.All(reader.Tensors, t => Assert.Equal(dtype, t.DType));
        var qkv = reader.Info("blocks.0.attn.qkv.weight");
        Assert.Equal(new long[] { 288, 96 }, qkv.Shape);
        var values = reader.ReadFloat32("blocks.0.attn.qkv.weight");
        Assert.Equal(288 * 96, values.Length);
        Assert.All(values, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void F16_and_BF16_widen_to_the_same_weights_as_F32_within_their_precision()
    {
        using var f32 = SafetensorsReader.Open(Path.Combine(TestPaths.VitGolden, "vit-tiny-ci-f32.safetensors"));
        using var f16 = SafetensorsReader.Open(Path.Combine(TestPaths.VitGolden, "vit-tiny-ci-f16.safetensors"));
        using var bf16 = SafetensorsReader.Open(Path.Combine(TestPaths.VitGolden, "vit-tiny-ci-bf16.safetensors"));
        var a = f32.ReadFloat32("blocks.1.mlp.fc1.weight");
        var b = f16.ReadFloat32("blocks.1.mlp.fc1.weight");
        var c = bf16.ReadFloat32("blocks.1.mlp.fc1.weight");
        for (int i = 0; i < a.Length; i++)
        {
            // The fixtures were rounded from float64 originals, so F16 may sit one half-ulp step from (Half)f32.
            Assert.True(Math.Abs(a[i] - b[i]) <= Math.Abs(a[i]) / 1024 + 6e-8, $"f16 element {i}: {a[i]} vs {b[i]}");
            Assert.True(Math.Abs(a[i] - c[i]) <= Math.Abs(a[i]) / 128 + 1e-30, $"bf16 element {i}: {a[i]} vs {c[i]}");
        }
    }

    [Fact]
    public void Write_then_read_is_bit_exact_for_every_dtype()
    {
        float[] values = [0f, -0f, 1.5f, float.Epsilon, float.MaxValue, float.NegativeInfinity, BitConverter.Int32BitsToSingle(0x7FC00123), 3.14159f];
        var tensors = new[]
        {
            SafetensorsTensor.FromFloat32("a", [2, 4], values),
            SafetensorsTensor.FromFloat32AsF16("b", [8], values),
            SafetensorsTensor.FromFloat32AsBF16("c", [8], values),
            SafetensorsTensor.FromInt64("step", [1], [long.MaxValue]),
            SafetensorsTensor.FromFloat32("empty", [0, 3], []),
        };
        var metadata = new Dictionary<string, string> { ["step"] = "42", ["note"] = "ünïcode" };
        var stream = new MemoryStream();
        SafetensorsWriter.Write(stream, tensors, metadata);
        Assert.Equal(0L, (long)BinaryPrimitives.ReadUInt64LittleEndian(stream.ToArray()) % 8);

        stream.Position = 0;
        using var reader = SafetensorsReader.Open(stream);
        Assert.Equal(metadata, reader.Metadata);
        foreach (var t in tensors)
        {
            Assert.Equal(t.Data, reader.ReadRaw(t.Name));
            Assert.Equal(t.Shape, reader.Info(t.Name).Shape);
            Assert.Equal(t.DType, reader.Info(t.Name).DType);
        }
        var back = reader.ReadFloat32("a");
        for (int i = 0; i < values.Length; i++) Assert.Equal(BitConverter.SingleToInt32Bits(values[i]), BitConverter.SingleToInt32Bits(back[i]));
        Assert.Equal(long.MaxValue, reader.ReadInt64("step")[0]);
    }

    [Fact]
    public void Truncated_file_is_rejected()
    {
        var bytes = Valid();
        var error = Assert.Throws<SafetensorsFormatException>(() => Read(bytes[..^4]));
        Assert.Contains("outside the data section", error.Message);
        error = Assert.Throws<SafetensorsFormatException>(() => Read(bytes[..5]));
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Header_length_beyond_the_file_is_rejected()
    {
        var bytes = Valid();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)bytes.Length);
        var error = Assert.Throws<SafetensorsFormatException>(() => Read(bytes));
        Assert.Contains("beyond the end of the file", error.Message);
    }

    [Fact]
    public void Bad_json_is_rejected() =>
        Assert.Contains("not valid JSON", Assert.Throws<SafetensorsFormatException>(() => Read(Raw("{\"a\": {\"dtype\": ", 0))).Message);

    [Fact]
    public void Unknown_dtype_is_rejected() =>
        Assert.Contains("unsupported dtype 'F8'", Assert.Throws<SafetensorsFormatException>(() =>
            Read(Raw("{\"a\":{\"dtype\":\"F8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2))).Message);

    [Fact]
    public void Shape_and_size_mismatch_is_rejected() =>
        Assert.Contains("needs 12 bytes but data_offsets span 8", Assert.Throws<SafetensorsFormatException>(() =>
            Read(Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8))).Message);

    [Fact]
    public void Overlapping_tensors_are_rejected() =>
        Assert.Contains("overlap", Assert.Throws<SafetensorsFormatException>(() =>
            Read(Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12))).Message);

    [Fact]
    public void Offsets_outside_the_data_section_are_rejected() =>
        Assert.Contains("outside the data section", Assert.Throws<SafetensorsFormatException>(() =>
            Read(Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 8))).Message);

    private static byte[] Valid()
    {
        var stream = new MemoryStream();
        SafetensorsWriter.Write(stream, [SafetensorsTensor.FromFloat32("w", [4], [1f, 2f, 3f, 4f])]);
        return stream.ToArray();
    }

    private static byte[] Raw(string header, int dataBytes)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        return bytes;
    }

    private static void Read(byte[] bytes)
    {
        using var reader = SafetensorsReader.Open(new MemoryStream(bytes));
        foreach (var t in reader.Tensors) reader.ReadRaw(t.Name);
    }
}
