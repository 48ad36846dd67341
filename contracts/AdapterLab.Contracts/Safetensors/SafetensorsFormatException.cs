namespace AdapterLab.Contracts.Safetensors;

/// <summary>A safetensors file is malformed (truncated, bad header, inconsistent offsets or shapes).</summary>
public sealed class SafetensorsFormatException(string message, Exception? inner = null) : Exception(message, inner);
