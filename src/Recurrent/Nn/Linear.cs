// A fully connected layer, PyTorch's nn.Linear: parameters "weight" [O, I] and "bias" [O].
using System.Numerics;
using Recurrent.Ops;
using Recurrent.Tensors;

namespace Recurrent.Nn;

/// <summary><c>y = x·Wᵀ + b</c> over the last dimension; initialised U(−1/√I, 1/√I) like PyTorch.</summary>
public sealed class Linear<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public Linear(int inFeatures, int outFeatures, Rng rng, bool bias = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        T bound = inFeatures > 0 ? T.One / T.Sqrt(T.CreateChecked(inFeatures)) : T.Zero;
        Weight = RegisterParameter("weight", Tensor<T>.Uniform(rng, -bound, bound, outFeatures, inFeatures));
        if (bias) Bias = RegisterParameter("bias", Tensor<T>.Uniform(rng, -bound, bound, outFeatures));
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor<T> Weight { get; }
    public Tensor<T>? Bias { get; }

    /// <summary>x [..., I] → [..., O].</summary>
    public Tensor<T> Forward(Tensor<T> x) => Op.Linear(x, Weight, Bias);
}
