using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Model;

/// <summary>
/// bf16 compute with fp32 master weights (<c>training.precision: bf16</c>), by explicit casts: TorchSharp 0.107 has no
/// <c>torch.autocast</c>. Inside a scope — thread-local, as torch's autocast state is — the matrix products (every
/// Linear, the patch convolution, attention) run on bf16 casts of their fp32 inputs and weights and hand fp32 back;
/// everything else (residual stream, LayerNorm, softmax of the composed attention, losses, the optimiser and its
/// state) stays fp32. The casts are differentiable, so gradients reach the fp32 parameters as fp32 (the "master
/// weights" of Micikevicius et al. 2018): bf16 has fp32's exponent range, so no loss scaling is needed. Outside a
/// scope every helper is the module's own forward, bit for bit.
/// <para>Unlike torch's autocast, products hand fp32 back rather than staying bf16 between them: fewer bf16 rounding
/// steps on the residual stream and no dtype checks elsewhere, for some extra cast traffic.</para>
/// </summary>
public static class Autocast
{
    public const string Fp32 = "fp32";
    public const string Bf16 = "bf16";

    [ThreadStatic] private static bool active;

    /// <summary>Whether products on this thread run in bf16.</summary>
    public static bool Active => active;

    /// <summary>
    /// The precision a run computes in: bf16 only when asked for and on a CUDA device. Off on CPU, where libtorch's bf16
    /// kernels are slower than fp32 and the option would only cost accuracy; the run's provenance says so.
    /// </summary>
    public static string Effective(string? requested, string device) =>
        requested == Bf16 && device == "cuda" ? Bf16 : Fp32;

    /// <summary>A scope in which this thread's products compute in <paramref name="precision"/>; nested scopes restore the outer state.</summary>
    public static Scope Enter(string precision) => new(precision == Bf16);

    public static Tensor Linear(Linear layer, Tensor x) =>
        !active ? layer.forward(x) : Product(() => nn.functional.linear(Half(x), Half(layer.weight), layer.bias is null ? null : Half(layer.bias)));

    /// <summary><c>x Wᵀ</c> with a bare weight (LoRA's A and B).</summary>
    public static Tensor Linear(Tensor x, Tensor weight) =>
        !active ? nn.functional.linear(x, weight) : Product(() => nn.functional.linear(Half(x), Half(weight)));

    /// <summary>A convolution with the layer's weights and the given geometry (which must be the layer's own).</summary>
    public static Tensor Conv2d(Conv2d layer, Tensor x, long stride, long padding) =>
        !active ? layer.forward(x) : Product(() => nn.functional.conv2d(Half(x), Half(layer.weight), layer.bias is null ? null : Half(layer.bias), strides: [stride, stride], padding: [padding, padding]));

    public static Tensor Matmul(Tensor a, Tensor b) => !active ? a.matmul(b) : Product(() => Half(a).matmul(Half(b)));

    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v) =>
        !active ? nn.functional.scaled_dot_product_attention(q, k, v) : Product(() => nn.functional.scaled_dot_product_attention(Half(q), Half(k), Half(v)));

    private static Tensor Half(Tensor t) => t.to(ScalarType.BFloat16);

    private static Tensor Product(Func<Tensor> compute)
    {
        using var scope = torch.NewDisposeScope();
        using var half = compute();
        return half.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    public readonly struct Scope : IDisposable
    {
        private readonly bool outer;

        internal Scope(bool bf16)
        {
            outer = active;
            active = bf16;
        }

        public void Dispose() => active = outer;
    }
}
