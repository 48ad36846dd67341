namespace AdapterLab.Contracts.Safetensors;

/// <summary>Element types this project reads and writes (the safetensors header spells them in upper case).</summary>
public enum SafetensorsDType
{
    F32,
    F16,
    BF16,
    I64,
}

/// <summary>Header spelling and element sizes of <see cref="SafetensorsDType"/>.</summary>
public static class SafetensorsDTypes
{
    public static int ElementSize(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F32 => 4,
        SafetensorsDType.F16 => 2,
        SafetensorsDType.BF16 => 2,
        SafetensorsDType.I64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    public static string HeaderName(this SafetensorsDType dtype) => dtype.ToString();

    public static bool TryParse(string name, out SafetensorsDType dtype)
    {
        switch (name)
        {
            case "F32": dtype = SafetensorsDType.F32; return true;
            case "F16": dtype = SafetensorsDType.F16; return true;
            case "BF16": dtype = SafetensorsDType.BF16; return true;
            case "I64": dtype = SafetensorsDType.I64; return true;
            default: dtype = default; return false;
        }
    }
}
