namespace AdapterLab.Contracts.Safetensors;

/// <summary>A tensor to write: raw little-endian bytes in <see cref="DType"/> with its shape.</summary>
public sealed record SafetensorsTensor(string Name, SafetensorsDType DType, IReadOnlyList<long> Shape, byte[] Data)
{
    public static SafetensorsTensor FromFloat32(string name, IReadOnlyList<long> shape, ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 4];
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(bytes);
        EnsureLittleEndian();
        return new SafetensorsTensor(name, SafetensorsDType.F32, shape, bytes);
    }

    public static SafetensorsTensor FromInt64(string name, IReadOnlyList<long> shape, ReadOnlySpan<long> values)
    {
        var bytes = new byte[values.Length * 8];
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(bytes);
        EnsureLittleEndian();
        return new SafetensorsTensor(name, SafetensorsDType.I64, shape, bytes);
    }

    /// <summary>Rounds to nearest even, as numpy/torch do, so files match other writers.</summary>
    public static SafetensorsTensor FromFloat32AsF16(string name, IReadOnlyList<long> shape, ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)values[i]);
        return new SafetensorsTensor(name, SafetensorsDType.F16, shape, bytes);
    }

    public static SafetensorsTensor FromFloat32AsBF16(string name, IReadOnlyList<long> shape, ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
        {
            uint bits = BitConverter.SingleToUInt32Bits(values[i]);
            ushort b = float.IsNaN(values[i]) ? (ushort)0x7FC0 : (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), b);
        }
        return new SafetensorsTensor(name, SafetensorsDType.BF16, shape, bytes);
    }

    internal static void EnsureLittleEndian()
    {
        // Raw memory copies are only valid on little-endian hosts; every platform .NET targets here is.
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors I/O needs a little-endian host");
    }
}
