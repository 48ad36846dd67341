using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Model;

/// <summary>
/// Scalars that outlive every call they are passed to. TorchSharp 0.107 hands a <see cref="Scalar"/> to libtorch as a
/// bare handle, so a temporary one — the implicit <c>1</c> behind <c>a + b</c>, a <c>double</c> converted for
/// <c>x.mul(s)</c> — may be finalised while libtorch still reads it ("toFloat … c10/core/Scalar.h", seen in CI and in
/// a bench run; <c>a - b</c> passes no scalar). Hot paths add with <see cref="Plus"/> and hold their constant factors
/// as <see cref="Scalar"/> fields or statics; what remains in TorchSharp's own operators is reported by the agent as an
/// infrastructure failure (<c>Native/LibTorchFaults</c>) and resumed from the checkpoint.
/// </summary>
public static class Scalars
{
    public static readonly Scalar One = 1.ToScalar();

    /// <summary><c>a + b</c> without a temporary scalar.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);
}
