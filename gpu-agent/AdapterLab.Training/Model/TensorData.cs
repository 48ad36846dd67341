using AdapterLab.Contracts.Safetensors;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Model;

/// <summary>Copies between torch tensors and safetensors entries (always through host memory, float32 or int64).</summary>
public static class TensorData
{
    public static SafetensorsTensor ToSafetensors(string name, Tensor tensor)
    {
        using var host = tensor.detach().cpu().contiguous();
        var shape = host.shape.ToArray();
        return host.dtype switch
        {
            ScalarType.Float32 => SafetensorsTensor.FromFloat32(name, shape, host.data<float>().ToArray()),
            ScalarType.Int64 => SafetensorsTensor.FromInt64(name, shape, host.data<long>().ToArray()),
            _ => SafetensorsTensor.FromFloat32(name, shape, ToFloat(host)),
        };
    }

    private static float[] ToFloat(Tensor t)
    {
        using var f = t.to_type(ScalarType.Float32);
        return f.data<float>().ToArray();
    }

    /// <summary>Reads a tensor as a CPU torch tensor of its own dtype (floats widened to float32).</summary>
    public static Tensor Read(SafetensorsReader reader, string name)
    {
        var info = reader.Info(name);
        var shape = info.Shape.ToArray();
        return info.DType == SafetensorsDType.I64
            ? torch.tensor(reader.ReadInt64(name), shape)
            : torch.tensor(reader.ReadFloat32(name), shape);
    }
}
